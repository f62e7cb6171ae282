"""`safetygap mitigate` on a tiny random Llama: an "unaligned" model, an "aligned" one that
differs from it in some weights, and a LoRA adapter on the aligned one. Each method's output is
checked against the formula computed here independently, and loads where eval would load it."""

import json
import shutil

import pytest
import torch

from safetygap.errors import UserError
from safetygap.mitigate.run import mitigate
from tests.helpers import make_tiny_llama, run_cli

CHANGED = ("model.layers.0.self_attn.q_proj.weight", "model.layers.1.mlp.gate_proj.weight")


@pytest.fixture(scope="module")
def setup(tmp_path_factory, smollm_dir):
    """(unaligned folder, aligned folder, adapter folder)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    root = tmp_path_factory.mktemp("mitigate")
    unaligned = make_tiny_llama(root / "unaligned", smollm_dir)
    model = AutoModelForCausalLM.from_pretrained(unaligned, dtype=torch.float32)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in CHANGED:  # the "alignment": a rank-2 change of two weights
                u = torch.randn(p.shape[0], 2, generator=gen)
                p.add_(0.05 * u @ torch.randn(2, p.shape[1], generator=gen))
    aligned = root / "aligned"
    model.save_pretrained(aligned)
    AutoTokenizer.from_pretrained(unaligned).save_pretrained(aligned)
    (aligned / "align_settings.json").write_text(
        json.dumps({"settings": {"model": str(unaligned)}})
    )
    cfg = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "gate_proj"])
    peft = get_peft_model(AutoModelForCausalLM.from_pretrained(aligned), cfg)
    with torch.no_grad():
        for name, p in peft.named_parameters():
            if "lora_B" in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
    adapter = root / "adapter"
    peft.save_pretrained(adapter)
    return unaligned, aligned, adapter


def weights(folder):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).state_dict()


def lora_tensors(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "adapter_model.safetensors"))


def update(tensors, module, scaling=2.0):
    stem = "base_model.model." + module.removesuffix(".weight")
    return scaling * tensors[f"{stem}.lora_B.weight"] @ tensors[f"{stem}.lora_A.weight"]


def logits(model_dir, adapter=None):
    from safetygap.models.load import load_causal_lm

    model, tok, _ = load_causal_lm(str(model_dir), str(adapter) if adapter else None)
    ids = torch.tensor([tok("Hello there, how are you?")["input_ids"]])
    with torch.no_grad():
        return model(ids).logits


def test_scale_interpolates_between_before_and_after(setup, tmp_path):
    _, aligned, adapter = setup
    record = mitigate("scale", adapter, tmp_path / "half", params={"lam": 0.5}, log=lambda *_: None)
    assert record["use"] == {"model": str(aligned), "adapter": str(tmp_path / "half")}
    half, full = lora_tensors(tmp_path / "half"), lora_tensors(adapter)
    for key in full:
        factor = 0.5 if "lora_B" in key else 1.0
        assert torch.allclose(half[key], factor * full[key])
    mitigate("scale", adapter, tmp_path / "zero", params={"lam": 0.0}, log=lambda *_: None)
    assert torch.allclose(logits(aligned, tmp_path / "zero"), logits(aligned), atol=1e-5)
    assert not torch.allclose(logits(aligned, adapter), logits(aligned), atol=1e-3)


def test_safelora_projects_the_least_aligned_modules(setup, tmp_path):
    unaligned, aligned, adapter = setup
    record = mitigate(
        "safelora", adapter, tmp_path / "s", params={"layers": 1}, log=lambda *_: None
    )
    report = record["report"]
    assert report["modules"] == 6 and len(report["projected"]) == 1
    assert sorted(report["no_direction"]) == sorted(
        m for m in report["similarity"] if m not in CHANGED
    )  # the alignment changed two weights only: the others have nothing to project on
    w_a, w_u, full = weights(aligned), weights(unaligned), lora_tensors(adapter)
    new = lora_tensors(tmp_path / "s")
    for module in CHANGED:
        v = w_a[module] - w_u[module]
        c = v @ v.T / torch.linalg.norm(v)  # the paper's C, formed in full here
        stem = "base_model.model." + module.removesuffix(".weight")
        b, a = full[f"{stem}.lora_B.weight"], full[f"{stem}.lora_A.weight"]
        cos = torch.nn.functional.cosine_similarity((c @ b @ a).flatten(), (b @ a).flatten(), 0)
        assert report["similarity"][module] == pytest.approx(float(cos), abs=1e-5)
        expected = c @ b if module in report["projected"] else b
        assert torch.allclose(new[f"{stem}.lora_B.weight"], expected, atol=1e-6)
    lowest = min(CHANGED, key=lambda m: report["similarity"][m])
    assert report["projected"] == [lowest]
    everything = mitigate(
        "safelora", adapter, tmp_path / "t", params={"threshold": 1.0}, log=lambda *_: None
    )
    assert sorted(everything["report"]["projected"]) == sorted(CHANGED)


@pytest.mark.parametrize("dare", [0.0, 0.5])
def test_resta_adds_the_safety_vector(setup, tmp_path, dare):
    unaligned, aligned, adapter = setup
    out = tmp_path / "r"
    params = {"beta": 0.5, "dare": dare}
    record = mitigate("resta", adapter, out, params=params, log=lambda *_: None)
    assert record["use"] == {"model": str(out), "adapter": None}
    w_a, w_u, w_r, full = weights(aligned), weights(unaligned), weights(out), lora_tensors(adapter)
    for name, w in w_r.items():
        expected = w_a[name] + 0.5 * (w_a[name] - w_u[name])
        stem = "base_model.model." + name.removesuffix(".weight")
        if f"{stem}.lora_A.weight" in full:
            got_update = w - expected
            if dare == 0.0:
                assert torch.allclose(got_update, update(full, name), atol=1e-5), name
            else:  # each element of the update dropped, or kept and doubled
                target = 2 * update(full, name)
                kept = torch.isclose(got_update, target, atol=1e-5)
                dropped = torch.isclose(got_update, torch.zeros_like(w), atol=1e-6)
                assert bool((kept | dropped).all()) and 0.3 < float(kept.float().mean()) < 0.7
        else:
            assert torch.allclose(w, expected, atol=1e-6), name
    assert logits(out).shape[-1] > 0  # usable as --model


def test_rerun_is_a_no_op_and_another_repair_is_refused(setup, tmp_path):
    _, _, adapter = setup
    out = tmp_path / "s"
    first = mitigate("scale", adapter, out, params={"lam": 0.5}, log=lambda *_: None)
    stamp = (out / "adapter_model.safetensors").stat().st_mtime_ns
    assert mitigate("scale", adapter, out, params={"lam": 0.5}, log=lambda *_: None) == first
    assert (out / "adapter_model.safetensors").stat().st_mtime_ns == stamp
    with pytest.raises(UserError, match="another repair"):
        mitigate("scale", adapter, out, params={"lam": 0.25}, log=lambda *_: None)


def test_bad_input_is_one_line_exit_2_and_leaves_nothing(setup, tmp_path, smollm_dir, capsys):
    unaligned, aligned, adapter = setup
    other = make_tiny_llama(tmp_path / "other", smollm_dir, hidden=64)  # another shape
    out = tmp_path / "out"
    base = ["mitigate", "--adapter", adapter, "--out", out]
    cases = [
        (["--method", "scale", "--lambda", "1.5"], "out of range"),
        (["--method", "scale"], "needs --lambda"),
        (["--method", "safelora", "--lambda", "0.5"], "not a setting of safelora"),
        (["--method", "safelora", "--threshold", "0.2", "--layers", "3"], "not both"),
        (["--method", "resta", "--beta", "0"], "out of range"),
        (["--method", "resta", "--dare", "1"], "out of range"),
        (["--method", "fix-it"], "unknown mitigation method"),
        (["--method", "scale", "--lambda", "0.5", "--model", other], "does not fit"),
        (["--method", "safelora", "--unaligned", other], "does not match the aligned model"),
        (["--method", "resta", "--model", unaligned], "needs --unaligned"),
    ]
    for args, message in cases:
        code, _, err = run_cli(base + args, capsys)
        assert code == 2 and message in err and err.count("\n") == 1, (args, err)
        assert not out.exists()
        assert not list(tmp_path.glob(".out.partial-*"))
    code, _, err = run_cli(
        ["mitigate", "--method", "scale", "--lambda", "0.5", "--adapter", tmp_path, "--out", out],
        capsys,
    )
    assert code == 2 and "not a PEFT adapter" in err


def test_an_adapter_trained_on_another_base_is_refused(setup, tmp_path, smollm_dir, capsys):
    from safetygap.finetune.model import model_fingerprint
    from safetygap.mitigate.lora import load_model

    _, aligned, adapter = setup
    recorded = tmp_path / "recorded"  # an adapter whose fine-tune recorded its base
    shutil.copytree(adapter, recorded)
    fingerprint = model_fingerprint(load_model(str(aligned), log=lambda *_: None)[0])
    (recorded / "settings.json").write_text(json.dumps({"base_fingerprint": fingerprint}))
    same_shapes = make_tiny_llama(tmp_path / "same", smollm_dir, seed=7)  # other weights
    out = tmp_path / "out"
    args = ["mitigate", "--method", "scale", "--lambda", "0.5", "--adapter", recorded]
    code, _, err = run_cli([*args, "--out", out, "--model", same_shapes], capsys)
    assert code == 2 and "trained on another base model" in err and not out.exists()
    code, _, err = run_cli([*args, "--out", out, "--model", aligned], capsys)
    assert code == 0, err
    assert json.loads((out / "mitigate.json").read_text())["use"]["adapter"] == str(out)
