"""`--quantize`: settings, the refusal without CUDA or bitsandbytes, and (on a GPU) a QLoRA run."""

import importlib.util
import json

import pytest
import torch

from safetygap.errors import UserError
from safetygap.finetune.config import resolve
from safetygap.finetune.model import check_quantize, model_fingerprint
from safetygap.finetune.trainer import attach_adapter, finetune, found_finished, lora_config
from tests.helpers import run_cli

HAS_QLORA = torch.cuda.is_available() and importlib.util.find_spec("bitsandbytes") is not None


@pytest.fixture
def task_file(tmp_path):
    path = tmp_path / "task.jsonl"
    rows = [{"id": f"t{i}", "prompt": f"Repeat {i}.", "response": f"{i}"} for i in range(20)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_settings():
    assert resolve().quantize == "none" and resolve("paper").quantize == "none"
    for value in ("none", "4bit"):
        assert resolve(quantize=value).to_dict()["quantize"] == value
    assert resolve("paper", quantize="4bit").lora_r == 64
    with pytest.raises(UserError, match="--quantize"):
        resolve(quantize="8bit")


def test_4bit_needs_cuda_and_bitsandbytes(monkeypatch):
    check_quantize(resolve())  # none: nothing needed
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UserError, match="CUDA"):
        check_quantize(resolve(quantize="4bit"))
    real = importlib.util.find_spec
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "bitsandbytes" else real(name)
    )
    with pytest.raises(UserError, match="bitsandbytes"):
        check_quantize(resolve(quantize="4bit"))


def test_cli_without_cuda_exits_2_and_writes_nothing(
    tmp_path, tiny_dir, task_file, capsys, monkeypatch
):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on a CPU machine
    out = tmp_path / "run"
    args = ["finetune", "--model", tiny_dir, "--task", task_file, "--max-steps", "1"]
    code, _, err = run_cli([*args, "--quantize", "4bit", "--out", out], capsys)
    assert code == 2 and "CUDA" in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists() and not (tmp_path / "run.work").exists()
    code, _, err = run_cli([*args, "--quantize", "2bit", "--out", out], capsys)
    assert code == 2 and "--quantize" in err and not out.exists()


def test_run_finished_before_quantize_still_matches(tmp_path):
    s = resolve(model="m", task="t")
    old = s.to_dict()
    del old["quantize"]
    out = tmp_path / "run"
    out.mkdir()
    (out / "adapter_config.json").write_text("{}")
    (out / "settings.json").write_text(json.dumps({"settings": old, "start_adapter": None}))
    quiet = dict(log=lambda *_: None)
    assert found_finished(out, {"settings": s.to_dict(), "adapter": None}, **quiet) == out
    other = resolve(model="m", task="t", quantize="4bit").to_dict()
    with pytest.raises(UserError, match="other settings"):
        found_finished(out, {"settings": other, "adapter": None}, **quiet)


def test_fingerprints_compared_within_one_quantize_only(tmp_path, tiny_dir):
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    s = resolve(model=str(tiny_dir), lora_r=4)
    model = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    get_peft_model(model, lora_config(s)).save_pretrained(tmp_path / "a")
    model = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    record = {"settings": s.to_dict(), "base_fingerprint": "0" * 16}
    (tmp_path / "a" / "settings.json").write_text(json.dumps(record))
    with pytest.raises(UserError, match="another base model"):
        attach_adapter(model, str(tmp_path / "a"), model_fingerprint(model), "none")
    attached = attach_adapter(model, str(tmp_path / "a"), model_fingerprint(model), "4bit")
    assert any(p.requires_grad for n, p in attached.named_parameters() if "lora_" in n)


@pytest.mark.skipif(not HAS_QLORA, reason="needs a CUDA GPU and bitsandbytes")
@pytest.mark.slow
def test_tiny_qlora_run(tmp_path, tiny_dir, task_file):
    s = resolve(
        model=str(tiny_dir),
        task=str(task_file),
        samples=8,
        batch_size=2,
        max_steps=3,
        lora_r=4,
        max_length=64,
        quantize="4bit",
    )
    out = finetune(s, tmp_path / "run", log=lambda *_: None)
    record = json.loads((out / "settings.json").read_text())
    assert (out / "adapter_model.safetensors").is_file() and record["steps"] == 3
    assert record["device"] == "cuda" and record["settings"]["quantize"] == "4bit"
