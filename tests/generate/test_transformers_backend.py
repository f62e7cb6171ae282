import pytest

from safetygap.errors import UserError
from safetygap.generate.base import Request, Sampling, load_backend
from tests.helpers import make_tiny_llama

PROMPTS = [
    "Hi",
    "What is two plus two?",
    "Name a colour.",
    "Write one word.",
    "Say hello in French please, and then in Spanish.",
    "Count to three.",
]
REQS = [Request(f"q{i}", p) for i, p in enumerate(PROMPTS)]


def by_id(completions):
    return {c.id: c for c in completions}


def test_batched_equals_one_at_a_time(tiny_dir):
    backend = load_backend(str(tiny_dir), batch_size=1)
    single = by_id(backend.generate(REQS, Sampling(max_new_tokens=12)))
    backend.batch_size = 4  # left padding must not change greedy outputs
    batched = by_id(backend.generate(REQS, Sampling(max_new_tokens=12)))
    assert set(single) == {r.id for r in REQS}
    for rid in single:
        assert batched[rid].response == single[rid].response
        assert batched[rid].n_new_tokens == single[rid].n_new_tokens
        assert 1 <= single[rid].n_new_tokens <= 12
        assert single[rid].finish_reason in ("stop", "length")


def test_system_prompt_reaches_the_template(tiny_dir):
    backend = load_backend(str(tiny_dir))
    plain = backend.encode("Hi", None)
    with_sys = backend.encode("Hi", "You are careful.")
    assert backend.tok.decode(with_sys).count("You are careful.") == 1
    assert "You are careful." not in backend.tok.decode(plain)
    assert backend.tok.decode(plain).rstrip().endswith("assistant")


def test_raw_requests_skip_the_chat_template(tiny_dir):
    backend = load_backend(str(tiny_dir))
    text = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    raw = backend.encode(text, "You are careful.", raw=True)
    assert raw == list(backend.tok(text)["input_ids"])  # as written: no system prompt, no template
    assert backend.tok.decode(raw) == text
    assert raw != backend.encode(text, None)
    out = by_id(backend.generate([Request("r", text, raw=True)], Sampling(max_new_tokens=4)))
    assert out["r"].n_new_tokens >= 1


def test_adapter_changes_outputs(tiny_dir, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_dir)
    peft_model = get_peft_model(
        base, LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj"])
    )
    torch.manual_seed(1)
    for name, p in peft_model.named_parameters():
        if "lora_B" in name:  # B starts at zero: give the adapter an effect
            p.data.normal_(0, 1.0)
    peft_model.save_pretrained(tmp_path / "adapter")

    s = Sampling(max_new_tokens=8)
    plain = by_id(load_backend(str(tiny_dir)).generate(REQS, s))
    adapted = load_backend(str(tiny_dir), adapter=str(tmp_path / "adapter"))
    assert adapted.adapter == str(tmp_path / "adapter")
    tuned = by_id(adapted.generate(REQS, s))
    assert any(plain[r.id].response != tuned[r.id].response for r in REQS)


def test_adapter_from_another_base_is_refused(tiny_dir, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    other = make_tiny_llama(tmp_path / "other", tiny_dir, hidden=64)
    peft_model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(other), LoraConfig(r=4, target_modules=["q_proj"])
    )
    peft_model.save_pretrained(tmp_path / "adapter")
    with pytest.raises(UserError, match="does not fit"):
        load_backend(str(tiny_dir), adapter=str(tmp_path / "adapter"))
    with pytest.raises(UserError, match="not a PEFT adapter"):
        load_backend(str(tiny_dir), adapter=str(tmp_path))
