"""What inspect_ai finds under the `safetygap/` prefix (the `inspect_ai` entry point)."""

from safetygap.integrations.inspect import (  # noqa: F401
    asr,
    over_refusal,
    safetygap_bench,
    safetygap_judge,
)
