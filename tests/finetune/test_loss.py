"""The training recipe against the TRL and transformers it runs on.

- The CPU loss (finetune/loss.py) forks TRL's SFTTrainer.compute_loss and reads its private
  attributes: these tests fail when an installed TRL drops what the fork reads or computes its
  loss or metrics otherwise, before a run silently trains or logs something else.
- `sft_config` maps each setting to one SFTConfig field, with the meaning the trainer gives it.
None of them trains: they build trainers on the tiny random Llama and run single batches.
"""

import functools
import inspect
import re
from dataclasses import fields
from types import SimpleNamespace

import pytest
import torch

from safetygap.errors import UserError
from safetygap.finetune import cpu
from safetygap.finetune.config import FinetuneSettings, resolve
from safetygap.finetune.loss import (
    _LOGIT_TRANSFORMS,
    _PADDED_KEYS,
    SUPPORTED_TRL,
    TRAINER_ATTRIBUTES,
    check_trl,
    completion_trainer_class,
)
from safetygap.finetune.trainer import build_trainer, lora_config, sft_config

QUIET = dict(log=lambda *_: None)
EXAMPLES = [
    {"id": f"e{i}", "prompt": f"Count to {i}, please.", "response": " ".join(map(str, range(i)))}
    for i in range(1, 9)
]


def tiny_settings(tiny_dir, **kw):
    base = dict(model=str(tiny_dir), batch_size=4, max_length=64, lora_r=4, lora_dropout=0.0)
    return resolve(**{**base, **kw})


def load_tiny(tiny_dir):
    from transformers import AutoModelForCausalLM

    from safetygap.models.load import load_tokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    return model, load_tokenizer(str(tiny_dir))


@pytest.fixture
def fork(tiny_dir, tmp_path):
    """The trainer a CPU run builds (no dropout), with random LoRA B so LoRA shapes the loss.
    One per test: building another trainer's arguments resets accelerate's shared state."""
    s = tiny_settings(tiny_dir)
    model, tok = load_tiny(tiny_dir)
    trainer, trained = build_trainer(s, model, tok, "cpu", EXAMPLES, tmp_path, **QUIET)
    assert type(trainer) is completion_trainer_class() and trained == len(EXAMPLES)
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in trainer.model.named_parameters():
            if "lora_B" in name:
                p.normal_(std=0.1)
    return trainer


def first_batch(trainer) -> dict:
    return dict(next(iter(trainer.get_train_dataloader())))


# (a) TRL still has what the fork reads


def test_trl_sft_trainer_has_what_the_fork_reads(tiny_dir, tmp_path):
    """On TRL's own SFTTrainer (not the fork), built the way a run builds it."""
    from datasets import Dataset
    from trl import SFTTrainer

    from safetygap.finetune.data import to_trainer_record

    s = tiny_settings(tiny_dir)
    model, tok = load_tiny(tiny_dir)
    trainer = SFTTrainer(
        model=model,
        args=sft_config(s, tmp_path, "cpu"),
        train_dataset=Dataset.from_list([to_trainer_record(e, "native") for e in EXAMPLES]),
        processing_class=tok,
        peft_config=lora_config(s),
    )
    check_trl(trainer)  # every TRAINER_ATTRIBUTES entry, _metrics' shape, compute_loss' signature
    assert trainer._total_train_tokens == 0 and trainer._tp_size == 1
    assert trainer.args.loss_type == "nll" and not trainer.aux_loss_enabled
    assert trainer.compute_loss_func is None and trainer.label_smoother is None

    # the model parts the fork calls
    base = trainer.accelerator.unwrap_model(trainer.model).get_base_model()
    assert base.config._attn_implementation == "sdpa"
    assert base.get_output_embeddings() is not None and base.config.get_text_config() is not None

    # the batches the fork (and its packing) expects: right-padded, labels only on completions
    batch = first_batch(trainer)
    assert set(batch) == _PADDED_KEYS
    mask, labels = batch["attention_mask"], batch["labels"]
    assert (labels[mask == 0] == -100).all() and (labels[:, 0] == -100).all()
    assert ((labels != -100).sum(1) > 0).all()
    with torch.no_grad():
        out = base.base_model(input_ids=batch["input_ids"], attention_mask=mask, use_cache=False)
    assert out.last_hidden_state.shape == (*batch["input_ids"].shape, base.config.hidden_size)


def test_check_trl_names_what_is_missing():
    from collections import defaultdict

    plain = {a: None for a in TRAINER_ATTRIBUTES if "." not in a}
    stub = SimpleNamespace(
        **plain,
        args=SimpleNamespace(loss_type="nll", average_tokens_across_devices=True),
        accelerator=SimpleNamespace(unwrap_model=1, gather_for_metrics=1, num_processes=1),
    )
    stub._metrics = {"train": defaultdict(list), "eval": defaultdict(list)}
    check_trl(stub)
    del stub._total_train_tokens
    del stub.accelerator.gather_for_metrics
    stub._metrics = {"train": {}}
    with pytest.raises(UserError) as e:
        check_trl(stub)
    message = str(e.value)
    assert "SFTTrainer._total_train_tokens" in message
    assert "SFTTrainer.accelerator.gather_for_metrics" in message and "_metrics as" in message
    assert f"install trl{SUPPORTED_TRL}" in message and len(message.splitlines()) == 1


def test_the_fork_knows_every_logit_transform_of_trls_fused_head():
    """A model whose config makes TRL's head scale or cap the logits must keep TRL's loss."""
    from trl.trainer import utils

    source = inspect.getsource(utils.add_fused_lm_head)
    read = set(re.findall(r'getattr\(text_config, "(\w+)"', source))
    read |= set(re.findall(r"text_config\.(\w+)", source))
    moe = {"output_router_logits", "router_aux_loss_coef", "num_experts", "num_experts_per_tok"}
    assert "final_logit_softcapping" in read  # the pattern still finds what the head reads
    assert read - moe - {"model_type"} <= set(_LOGIT_TRANSFORMS), read


# (b) the fork computes TRL's loss, gradients and metrics


def run(trainer, compute_loss, batch, n, training):
    trainer.model.train(training)
    trainer.model.zero_grad()
    before = trainer._total_train_tokens
    loss = compute_loss(trainer.model, dict(batch), num_items_in_batch=n)
    loss.backward()
    grads = {k: p.grad.clone() for k, p in trainer.model.named_parameters() if p.requires_grad}
    metrics = trainer._metrics["train" if training else "eval"]
    logged = {
        "entropy": metrics["entropy"][-1],
        "mean_token_accuracy": metrics["mean_token_accuracy"][-1],
        "num_tokens": metrics["num_tokens"][-1] - before,
    }
    return loss.detach(), grads, logged


@pytest.mark.parametrize(
    ("segments", "given_n", "training"),
    [(False, False, True), (False, True, False), (True, True, True), (True, False, False)],
    ids=["sdpa-train", "sdpa-n-eval", "segments-n-train", "segments-eval"],
)
def test_fork_equals_trls_compute_loss(fork, segments, given_n, training):
    """Padded or packed (what a CPU run does), num_items_in_batch given or not, train or eval."""
    from trl import SFTTrainer

    batch = first_batch(fork)
    assert fork._compact_ok(fork.model, batch, False)  # the fork's path, not its fallback
    scored = int((batch["labels"][:, 1:] != -100).sum())
    n = torch.tensor(scored + 3) if given_n else None  # as if 3 more tokens were accumulated
    base = fork.model.get_base_model()
    if segments:
        assert cpu.use_segment_attention(base)
    ours = run(fork, fork.compute_loss, batch, n, training)
    trls = run(fork, functools.partial(SFTTrainer.compute_loss, fork), batch, n, training)
    (loss, grads, logged), (trl_loss, trl_grads, trl_logged) = ours, trls
    torch.testing.assert_close(loss, trl_loss, rtol=1e-5, atol=1e-5)
    assert grads.keys() == trl_grads.keys() and any(g.abs().max() > 0 for g in grads.values())
    for k in grads:
        torch.testing.assert_close(grads[k], trl_grads[k], rtol=1e-4, atol=1e-6, msg=k)
    assert logged["entropy"] == pytest.approx(trl_logged["entropy"], rel=1e-5)
    assert logged["mean_token_accuracy"] == pytest.approx(trl_logged["mean_token_accuracy"])
    assert logged["num_tokens"] == trl_logged["num_tokens"]
    assert logged["num_tokens"] == (int(batch["attention_mask"].sum()) if training else 0)


def test_fork_leaves_what_it_does_not_cover_to_trl(fork):
    batch = first_batch(fork)
    assert not fork._compact_ok(fork.model, batch, True)  # return_outputs
    assert not fork._compact_ok(fork.model, {k: batch[k] for k in ("input_ids", "labels")}, False)
    fork.model.config.final_logit_softcapping = 30.0
    assert not fork._compact_ok(fork.model, batch, False)


# SFTConfig: one field per setting


TRAINER_SETTINGS = {  # setting -> SFTConfig field
    "lr": "learning_rate",
    "scheduler": "lr_scheduler_type",
    "warmup_ratio": "warmup_steps",
    "batch_size": "per_device_train_batch_size",
    "grad_accum": "gradient_accumulation_steps",
    "epochs": "num_train_epochs",
    "max_steps": "max_steps",
    "max_length": "max_length",
    "seed": "seed",
    "save_every": "save_steps",
}
LORA_SETTINGS = {"lora_r": "r", "lora_alpha": "lora_alpha", "lora_dropout": "lora_dropout"}
NOT_TRAINER_SETTINGS = {  # what the data, the model, the callbacks or the record use
    "model",
    "task",
    "chat_format",
    "samples",
    "target_modules",
    "safety_mix",
    "safety_ratio",
    "safety_every",
    "quantize",
    "safety_items",
    "safety_stop",
    "prompt_field",
    "response_field",
    "constraint",  # the loss: trainer.constraint
    "reference",
    "unaligned",
    "secret_prompt",  # the data: the backdoor mix's system prompt
    "preset",
}


def test_every_setting_is_classified():
    names = {f.name for f in fields(FinetuneSettings)}
    assert names == set(TRAINER_SETTINGS) | set(LORA_SETTINGS) | NOT_TRAINER_SETTINGS


def test_sft_config_maps_every_setting_one_to_one(tmp_path):
    s = resolve(
        "paper",
        lr=3e-4,
        scheduler="linear",
        batch_size=3,
        grad_accum=2,
        epochs=2.0,
        max_steps=7,
        max_length=128,
        seed=5,
        save_every=11,
    )
    args = sft_config(s, tmp_path, "cpu")
    for setting, name in TRAINER_SETTINGS.items():
        value = getattr(args, name)
        value = getattr(value, "value", value)  # the scheduler becomes an enum
        assert value == getattr(s, setting), (setting, name, value)
    assert args.data_seed == s.seed and args.save_strategy == "steps"
    assert args.output_dir == str(tmp_path / "checkpoints")
    assert args.completion_only_loss is True and args.loss_type == "nll"
    assert not (args.packing or args.padding_free or args.assistant_only_loss)
    assert args.gradient_checkpointing is False  # transformers 5 mirrors it as:
    assert getattr(args, "activation_checkpointing", False) is False
    assert args.bf16 is False and args.fp16 is False and args.use_cpu is True
    assert args.dataloader_pin_memory is False
    # a warmup_steps below 1 is a share of the steps: ceil(total * share)
    assert args.get_warmup_steps(100) == 3 and args.get_warmup_steps(1000) == 30
    assert args.get_warmup_steps(10) == 1 and args.get_warmup_steps(7) == 1
    peft = lora_config(s)
    for setting, name in LORA_SETTINGS.items():
        assert getattr(peft, name) == getattr(s, setting)
    assert set(peft.target_modules) == set(s.target_modules) and peft.bias == "none"


@pytest.mark.parametrize(("ratio", "total", "warmup"), [(0.0, 100, 0), (0.5, 7, 4), (0.1, 50, 5)])
def test_warmup_ratio_is_a_share_of_the_steps(tmp_path, ratio, total, warmup):
    s = resolve(warmup_ratio=ratio)
    assert sft_config(s, tmp_path, "cpu").get_warmup_steps(total) == warmup


@pytest.mark.parametrize("ratio", [1.0, 3, -0.1])
def test_warmup_ratio_outside_unit_interval(ratio):
    with pytest.raises(UserError, match="warmup_ratio"):
        resolve(warmup_ratio=ratio)


def test_the_trainer_warms_up_for_the_share_of_its_steps(fork):
    """The schedule the trainer builds peaks after 3 of 100 steps with the default 0.03."""
    assert fork.args.warmup_steps == 0.03
    fork.create_optimizer_and_scheduler(num_training_steps=100)
    lrs = []
    for _ in range(10):
        lrs.append(fork.lr_scheduler.get_last_lr()[0])
        fork.optimizer.step()
        fork.lr_scheduler.step()
    assert lrs[:4] == pytest.approx([0.0, 2e-4 / 3, 2 * 2e-4 / 3, 2e-4])
    assert max(lrs) == lrs[3]
