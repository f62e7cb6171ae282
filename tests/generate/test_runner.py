import json

import pytest

from safetygap.errors import UserError
from safetygap.generate.base import Sampling, load_backend
from safetygap.generate.runner import partial_path, read_requests, run


class StopAfter:
    """Wraps a real backend and interrupts the run after `n` completions (a simulated kill)."""

    def __init__(self, backend, n):
        self.inner, self.n = backend, n
        self.model, self.adapter = backend.model, backend.adapter
        self.asked = []

    def generate(self, requests, sampling):
        self.asked.append([r.id for r in requests])
        for i, c in enumerate(self.inner.generate(requests, sampling)):
            if i == self.n:
                raise KeyboardInterrupt
            yield c


def lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_killed_run_resumes_where_it_stopped(tiny_dir, prompt_file, tmp_path):
    out = tmp_path / "responses.jsonl"
    reqs = read_requests(prompt_file)
    backend = StopAfter(load_backend(str(tiny_dir), batch_size=1), 3)
    with pytest.raises(KeyboardInterrupt):
        run(backend, reqs, Sampling(max_new_tokens=6), out, progress=False)
    assert not out.exists()  # no finished-looking file
    part = partial_path(out)
    assert len(lines(part)) == 3
    with open(part, "a") as f:
        f.write('{"id": "q5", "resp')  # torn line from the kill

    backend.n = 99
    new, total = run(backend, reqs, Sampling(max_new_tokens=6), out, progress=False)
    assert (new, total) == (3, 6)
    assert len(backend.asked[-1]) == 3  # only the missing ids were generated
    recs = lines(out)
    assert [r["id"] for r in recs] == [f"q{i}" for i in range(6)]
    assert set(recs[0]) == {
        "id",
        "model",
        "adapter",
        "system_prompt",
        "prompt",
        "response",
        "n_new_tokens",
        "finish_reason",
    }
    assert not part.exists()
    # A third run is a no-op.
    assert run(backend, reqs, Sampling(max_new_tokens=6), out, progress=False) == (0, 6)
    assert len(backend.asked) == 2


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "no records"),
        ('{"id": 1}\n', "missing field"),
        ("not json\n", "not valid JSON"),
        ('{"id": 1, "prompt": "a"}\n{"id": 1, "prompt": "b"}\n', "duplicate id"),
        ('{"prompt": ""}\n', "non-empty"),
    ],
)
def test_malformed_prompt_files(tmp_path, content, message):
    path = tmp_path / "p.jsonl"
    path.write_text(content)
    with pytest.raises(UserError, match=message):
        read_requests(path)


def test_non_utf8_prompt_file(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"prompt": "caf\xe9"}\n')
    with pytest.raises(UserError, match="not UTF-8"):
        read_requests(path)
