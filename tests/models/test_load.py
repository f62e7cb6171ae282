"""Inference loading: an adapter merged into the weights answers as the unmerged adapter does."""

import torch

from safetygap.generate.base import Request, Sampling
from safetygap.generate.transformers_backend import TransformersBackend
from safetygap.models.load import load_causal_lm
from safetygap.models.registry import parse_spec


def test_a_merged_adapter_gives_the_unmerged_logits_and_answers(tiny_dir, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    # init_lora_weights=False: B is random too, so the adapter really changes the model
    modules = ["q_proj", "v_proj", "down_proj"]
    cfg = LoraConfig(r=4, lora_alpha=8, target_modules=modules, init_lora_weights=False)
    peft = get_peft_model(base, cfg)
    peft.save_pretrained(tmp_path / "adapter")

    spec = parse_spec(str(tiny_dir))
    merged, tok, _ = load_causal_lm(spec, str(tmp_path / "adapter"))
    unmerged, _, _ = load_causal_lm(spec, str(tmp_path / "adapter"), merge=False)
    plain, _, _ = load_causal_lm(spec)
    assert not any("lora_" in n for n, _ in merged.named_parameters())
    assert any("lora_" in n for n, _ in unmerged.named_parameters())
    ids = tok("Tell me about the weather in Paris today.", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        a, b, c = (m(ids).logits for m in (merged, unmerged, plain))
    assert torch.allclose(a, b, atol=1e-4)
    assert not torch.allclose(a, c, atol=1e-2)  # the adapter matters

    backend = TransformersBackend(spec, str(tmp_path / "adapter"), batch_size=2)
    requests = [Request(f"q{i}", p) for i, p in enumerate(["Hi", "Name a colour.", "Count."])]
    first = {x.id: x.response for x in backend.generate(requests, Sampling(8))}
    backend.lm = unmerged
    assert {x.id: x.response for x in backend.generate(requests, Sampling(8))} == first
