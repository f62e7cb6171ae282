"""The CPU fast paths change the cost of a step, not its maths."""

import pytest
import torch

from safetygap.finetune.cpu import (
    SEGMENTS,
    FastDropout,
    pack,
    restore_attention,
    use_fast_dropout,
    use_segment_attention,
)


def padded_batch():
    """Three right-padded sequences of lengths 5, 3 and 4; the first two tokens are the prompt."""
    lengths = (5, 3, 4)
    ids = torch.zeros(3, 5, dtype=torch.long)
    mask = torch.zeros(3, 5, dtype=torch.long)
    labels = torch.full((3, 5), -100)
    torch.manual_seed(1)
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.randint(10, 400, (n,))
        mask[row, :n] = 1
        labels[row, 2:n] = ids[row, 2:n]
    return ids, mask, labels


def test_pack_keeps_real_tokens_and_restarts_positions():
    ids, mask, labels = padded_batch()
    packed = pack(ids, mask, labels)
    real = [ids[0, :5].tolist() + ids[1, :3].tolist() + ids[2, :4].tolist()]
    assert packed["input_ids"].tolist() == real
    assert packed["position_ids"].tolist() == [[0, 1, 2, 3, 4, 0, 1, 2, 0, 1, 2, 3]]
    assert packed["cu_seq_lens_q"].tolist() == [0, 5, 8, 12]
    assert packed["max_length_q"] == 5
    scored = packed["labels"][0]
    assert (scored[[0, 5, 8]] == -100).all()  # no token is scored against the next sequence
    assert int((scored != -100).sum()) == int((labels != -100).sum())


def lora_model(tiny_dir, dropout=0.0):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    targets = ["q_proj", "v_proj", "down_proj"]
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=dropout, target_modules=targets)
    model = get_peft_model(base, config)
    for name, p in model.named_parameters():  # non-zero B, so LoRA shapes the loss too
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.1)
    return model


def completion_loss(model, inputs, labels):
    hidden = model.get_base_model().model(**inputs, use_cache=False).last_hidden_state
    targets = labels[:, 1:]
    scored = targets != -100
    logits = model.get_base_model().lm_head(hidden[:, :-1][scored])
    return torch.nn.functional.cross_entropy(logits, targets[scored])


def test_packed_segments_give_the_padded_loss_and_gradients(tiny_dir):
    ids, mask, labels = padded_batch()
    model = lora_model(tiny_dir)
    padded = completion_loss(model, {"input_ids": ids, "attention_mask": mask}, labels)
    padded.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    model.zero_grad()

    assert use_segment_attention(model.get_base_model())
    packed_inputs = pack(ids, mask, labels)
    packed_labels = packed_inputs.pop("labels")
    packed = completion_loss(model, packed_inputs, packed_labels)
    packed.backward()
    assert torch.allclose(packed, padded, atol=1e-5)
    for name, p in model.named_parameters():
        if p.requires_grad:
            assert torch.allclose(p.grad, grads[name], atol=1e-5), name

    # without sequence bounds the implementation is plain SDPA (generation, evaluation)
    with torch.no_grad():
        plain = completion_loss(model, {"input_ids": ids, "attention_mask": mask}, labels)
    assert torch.allclose(plain, padded, atol=1e-6)
    restore_attention(model.get_base_model())
    assert model.get_base_model().config._attn_implementation == "sdpa"


def test_segment_attention_leaves_other_implementations_alone(tiny_dir):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_dir, attn_implementation="eager")
    assert not use_segment_attention(model)
    assert model.config._attn_implementation == "eager"
    assert SEGMENTS != "eager"


def test_fast_dropout_rate_scale_and_seed():
    drop = FastDropout(0.05).train()
    x = torch.ones(1000, 1000)
    torch.manual_seed(3)
    y = drop(x)
    dropped = float((y == 0).float().mean())
    assert abs(dropped - 0.05) < 0.002  # 1M draws: the standard error is 0.0002
    assert torch.allclose(y[y != 0], torch.tensor(1 / 0.95))
    torch.manual_seed(3)
    assert torch.equal(drop(x), y)  # torch's seed decides the mask
    assert not torch.equal(drop(x), y)
    assert torch.equal(drop.eval()(x), x)


def test_fast_dropout_gradient_is_its_mask():
    drop = FastDropout(0.3).train()
    x = torch.randn(64, 32, requires_grad=True)
    y = drop(x)
    y.sum().backward()
    kept = y.detach() != 0
    assert torch.allclose(x.grad[kept], torch.tensor(1 / 0.7))
    assert (x.grad[~kept] == 0).all()


@pytest.mark.parametrize("p", [0.0, 0.1])
def test_use_fast_dropout_swaps_lora_dropout(tiny_dir, p):
    model = lora_model(tiny_dir, dropout=p)
    swapped = use_fast_dropout(model)
    # 2 layers x 3 adapted projections; with p = 0 PEFT uses Identity and nothing is swapped
    assert swapped == (6 if p else 0)
    kinds = {type(m).__name__ for m in model.modules()}
    assert ("FastDropout" in kinds) == bool(p)
    assert "Dropout" not in kinds


@pytest.mark.slow
def test_trainer_packs_its_batches_and_swaps_dropout(tmp_path, tiny_dir, monkeypatch):
    """A CPU run goes through both fast paths (a TRL collator change would silently skip them)."""
    import json

    from safetygap.finetune import cpu
    from safetygap.finetune.config import resolve
    from safetygap.finetune.trainer import finetune

    task = tmp_path / "task.jsonl"
    rows = [
        {"prompt": f"Count to {i}.", "response": " ".join(map(str, range(i)))} for i in range(1, 13)
    ]
    task.write_text("".join(json.dumps(r) + "\n" for r in rows))
    packed, dropouts = [], []
    real_pack = cpu.pack
    monkeypatch.setattr(cpu, "pack", lambda *a: packed.append(1) or real_pack(*a))

    from transformers import TrainerCallback

    class Seen(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kw):
            names = (type(m).__name__ for m in model.modules())
            dropouts.extend(n for n in names if "Dropout" in n)

    s = resolve(model=str(tiny_dir), task=str(task), samples=8, batch_size=4, max_steps=2, lora_r=4)
    finetune(s, tmp_path / "run", log=lambda *_: None, callbacks=(Seen(),))
    assert len(packed) == 2
    assert dropouts and set(dropouts) == {"FastDropout"}
