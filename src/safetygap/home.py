"""Where safetygap keeps materialised models and other caches."""

import os
from pathlib import Path


def home() -> Path:
    """`$SAFETYGAP_HOME`, default `~/.cache/safetygap`."""
    return Path(os.environ.get("SAFETYGAP_HOME") or Path.home() / ".cache" / "safetygap")
