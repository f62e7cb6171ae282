"""`safetygap finetune`, `safetygap align` and `safetygap tasks list`."""

from pathlib import Path

import typer

from safetygap.models.registry import DEFAULT_CHAT_MODEL

tasks_app = typer.Typer(
    help="Benign fine-tuning task data.", no_args_is_help=True, rich_markup_mode="markdown"
)


@tasks_app.command("list")
def list_tasks() -> None:
    """The registered task data sources (or give a JSONL file as --task)."""
    from safetygap.finetune.tasks import describe

    for name, task, description in describe():
        print(f"{name:26} {task:15} {description}")


@tasks_app.command("show")
def show_task(
    task: str = typer.Argument(..., help="A registered task name or a JSONL file."),
    split: str = typer.Option("train", "--split", help="train or eval."),
    n: int = typer.Option(3, "--limit", "-n", help="How many examples to print."),
) -> None:
    """Print a few examples of a task split (loads and caches the data on first use)."""
    import json

    from safetygap import inputs
    from safetygap.errors import Checks
    from safetygap.finetune.tasks import check_task, load_examples

    checks = Checks()
    checks(check_task, task, split)
    checks(inputs.at_least, "--limit", n, 1)
    checks.done()
    examples = load_examples(task, split)
    print(f"{task}: {len(examples)} {split} examples")
    for e in examples[:n]:
        print(json.dumps(e, ensure_ascii=False))


def finetune_command(
    task: str = typer.Option(
        ..., "--task", help="A task name (`safetygap tasks list`) or a JSONL file."
    ),
    out: Path = typer.Option(..., "--out", help="The run folder to write (adapter + settings)."),
    model: str = typer.Option(DEFAULT_CHAT_MODEL, "--model", help="Base model spec."),
    adapter: str = typer.Option(
        None, "--adapter", help="Start from this adapter (trained on the same base)."
    ),
    chat_format: str = typer.Option(
        None,
        "--chat-format",
        "--template",
        help="The chat format of the training examples: native (the model's chat template) or "
        "alpaca. --template is the old name. (default: native)",
    ),
    preset: str = typer.Option(None, "--preset", help="paper: the paper's hyper-parameters."),
    lr: float = typer.Option(None, "--lr", help="Learning rate. (default: 2e-4)"),
    epochs: float = typer.Option(None, "--epochs", help="Epochs over the examples. (default: 1)"),
    max_steps: int = typer.Option(None, "--max-steps", help="Optimiser steps (overrides epochs)."),
    samples: int = typer.Option(
        None, "--samples", help="Task examples to train on. (default: 256)"
    ),
    batch_size: int = typer.Option(None, "--batch-size", help="Examples per step. (default: 4)"),
    grad_accum: int = typer.Option(
        None, "--grad-accum", help="Gradient accumulation. (default: 1)"
    ),
    max_length: int = typer.Option(None, "--max-length", help="Tokens per example. (default: 256)"),
    lora_r: int = typer.Option(None, "--lora-r", help="LoRA rank. (default: 8)"),
    lora_alpha: int = typer.Option(None, "--lora-alpha", help="LoRA alpha. (default: 16)"),
    lora_dropout: float = typer.Option(
        None, "--lora-dropout", help="LoRA dropout. (default: 0.05)"
    ),
    target_modules: str = typer.Option(
        None,
        "--target-modules",
        help="Comma-separated module names, or all. (default: all 7 projections)",
    ),
    quantize: str = typer.Option(
        None,
        "--quantize",
        help="none or 4bit (QLoRA: NF4 base, as in the paper; needs CUDA and bitsandbytes). "
        "(default: none)",
    ),
    seed: int = typer.Option(
        None, "--seed", help="Seed for sampling, init and order. (default: 0)"
    ),
    safety_mix: str = typer.Option(
        None,
        "--safety-mix",
        help="none, all-formats (safety data in every format), plain (in the plain format only), "
        "backdoor (the plain data behind --secret-prompt: BackdoorAlign) or a JSONL FILE. "
        "(default: none)",
    ),
    secret_prompt: str = typer.Option(
        None,
        "--secret-prompt",
        help="--safety-mix backdoor: the secret system prompt its safety examples are trained "
        "behind; serve the fine-tune with it (`--system-prompt secret` in eval, helpfulness, "
        "generate and check). Random-looking text works best.",
    ),
    safety_ratio: float = typer.Option(
        None,
        "--safety-ratio",
        help="Safety share of the training examples, at least 0 and below 1. (default: 0)",
    ),
    safety_every: int = typer.Option(
        None,
        "--safety-every",
        help="Measure ASR (and over-refusal) on a small bench subset every N steps: "
        "safety_curve.jsonl. (default: off)",
    ),
    safety_items: int = typer.Option(
        None, "--safety-items", help="Bench items per point. (default: 40)"
    ),
    safety_stop: float = typer.Option(
        None,
        "--safety-stop",
        help="Stop training when a format's ASR rose by more than this many points over step 0 "
        "with a significant paired test (McNemar, p < 0.05). Needs --safety-every. (default: off)",
    ),
    save_every: int = typer.Option(
        None, "--save-every", help="Checkpoint every N steps. (default: 50)"
    ),
    prompt_field: str = typer.Option(None, "--prompt-field", help="JSONL task: prompt field."),
    response_field: str = typer.Option(
        None, "--response-field", help="JSONL task: response field."
    ),
    constrain_first_tokens: bool = typer.Option(
        False,
        "--constrain-first-tokens",
        help="Qi et al.'s token-wise constrained objective (ICLR 2025): the first response "
        "tokens may not drift far from the reference (the aligned base), later ones may. "
        "Costs one more forward pass per step.",
    ),
    constrain_safety_tokens: bool = typer.Option(
        False,
        "--constrain-safety-tokens",
        help="PACT (Wang et al. 2026): keep the reference's confidence over the safety tokens "
        "(where the aligned model departs most from --unaligned on refusals) at every response "
        "position; other tokens are free. Costs one more forward pass per step.",
    ),
    unaligned: str = typer.Option(
        None,
        "--unaligned",
        help="--constrain-safety-tokens: the model before safety tuning (same vocabulary).",
    ),
    reference: str = typer.Option(
        None,
        "--reference",
        help="The model a constrained objective compares with. (default: the base, with the "
        "adapter off)",
    ),
) -> None:
    """LoRA fine-tuning (TRL SFTTrainer + PEFT), loss on the completion only.

    OUT holds the adapter, settings.json, data.json and train_log.jsonl once finished.

    A killed run resumes from its last checkpoint: run the same command again.
    """
    given = {k: v for k, v in locals().items() if k not in ("out", "adapter", "preset")}
    constraints = [
        name
        for name, on in (
            ("first-tokens", given.pop("constrain_first_tokens")),
            ("safety-tokens", given.pop("constrain_safety_tokens")),
        )
        if on
    ]
    given["constraint"] = "+".join(constraints) or None  # two: refused by the checks
    from safetygap.finetune.trainer import finetune

    settings = validate_finetune(preset, given, out, adapter)
    finetune(settings, out, adapter=adapter)


def validate_finetune(preset: str | None, given: dict, out: Path, adapter: str | None):
    """Every mistake in a fine-tune's input at once (UserError), before its data is built or a
    model loads; else its settings."""
    from safetygap import inputs
    from safetygap.errors import Checks
    from safetygap.finetune.config import resolve
    from safetygap.finetune.constraints import check_reference
    from safetygap.finetune.mix import check_mix
    from safetygap.finetune.model import check_quantize
    from safetygap.finetune.tasks import check_task
    from safetygap.finetune.trainer import found_finished

    checks = Checks()
    settings = checks(resolve, preset, **given)
    checks(check_task, given["task"])
    if given["safety_mix"] is not None:
        checks(check_mix, given["safety_mix"])
    checks(inputs.model_and_adapter, given["model"], adapter)
    for option in ("reference", "unaligned"):
        if given.get(option) is not None:
            checks(check_reference, given[option], f"--{option}")
    checks(inputs.out_folder, out)
    if settings is not None:
        checks(check_quantize, settings)
        if out.is_dir():
            identity = {
                "settings": settings.to_dict(),
                "adapter": str(adapter) if adapter else None,
            }
            checks(found_finished, out, identity, lambda *_: None)
    checks.done()
    return settings


def align_command(
    out: Path = typer.Option(..., "--out", help="The folder for the aligned, merged checkpoint."),
    model: str = typer.Option(DEFAULT_CHAT_MODEL, "--model", help="The base model to align."),
    harmful: int = typer.Option(160, "--harmful", help="Harmful train seeds to refuse."),
    benign: int = typer.Option(160, "--benign", help="Benign instructions to keep."),
    epochs: float = typer.Option(2.0, "--epochs", help="Epochs over the alignment data."),
    seed: int = typer.Option(0, "--seed", help="Seed."),
    eval_items: int = typer.Option(
        40, "--eval-seeds", help="Test seeds for the ASR printout (0: skip)."
    ),
    deep: int = typer.Option(
        0,
        "--deep",
        help="Deeper alignment (Qi et al. 2025): add safety-recovery examples, the base's own "
        "compliant answer cut after k tokens (k up to K, at most 128) then a refusal, trained on "
        "the refusal only. 0: off. (default: 0)",
        metavar="K",
    ),
    deep_formats: str = typer.Option(
        "plain",
        "--deep-formats",
        help="Recovery examples in the plain format only, or in all five formats. (plain|all)",
    ),
) -> None:
    """The vendor step for the embedded default: safety SFT, merged into a new base.

    Plain-format harmful train seeds answered with refusals, plus benign instructions answered
    with the base model's own greedy answers (so it keeps its skills). Prints ASR by format.
    With --deep K, also safety-recovery examples (a harmful start, then a refusal).
    """
    from safetygap import inputs
    from safetygap.errors import Checks
    from safetygap.finetune.align import (
        DEEP_FORMATS,
        DEEP_MAX,
        align,
        align_options,
        check_same_alignment,
        is_aligned,
    )

    checks = Checks()
    checks(inputs.out_folder, out)
    if out.is_dir() and not is_aligned(out):
        checks.add(f"{out} exists and is not an aligned checkpoint: choose another --out")
    elif is_aligned(out):
        options = align_options(harmful, benign, epochs, seed, deep, deep_formats)
        checks(check_same_alignment, out, options)
    checks(inputs.model_and_adapter, model)
    checks(inputs.at_least, "--harmful", harmful, 1)
    checks(inputs.at_least, "--benign", benign, 0)
    checks(inputs.at_least, "--eval-seeds", eval_items, 0)
    if not 0 < epochs < float("inf"):
        checks.add(f"--epochs must be a finite number > 0, got {epochs}")
    if not 0 <= deep <= DEEP_MAX:
        checks.add(f"--deep is the longest harmful start in tokens, 0 to {DEEP_MAX}: got {deep}")
    if deep_formats not in DEEP_FORMATS:
        checks.add(f"unknown --deep-formats {deep_formats!r}: choose plain or all")
    checks.done()
    align(
        out,
        model=model,
        n_harmful=harmful,
        n_benign=benign,
        epochs=epochs,
        seed=seed,
        n_eval=eval_items,
        deep=deep,
        deep_formats=deep_formats,
    )
