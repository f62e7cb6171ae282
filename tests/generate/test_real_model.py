"""The real embedded model answers a known question sensibly."""

import pytest

from safetygap.generate.base import Request, Sampling, load_backend

# Loads the real 135M model and generates with it on the CPU.
pytestmark = pytest.mark.slow


def test_smollm_knows_the_capital_of_france(smollm_dir):
    backend = load_backend("smollm2-135m-instruct", batch_size=2)
    reqs = [
        Request("fr", "What is the capital of France?"),
        Request("sum", "What is 2 + 2? Answer with a number."),
    ]
    out = {c.id: c for c in backend.generate(reqs, Sampling(max_new_tokens=24))}
    assert "Paris" in out["fr"].response
    assert out["fr"].finish_reason == "stop" and out["fr"].n_new_tokens < 24
    assert "4" in out["sum"].response
