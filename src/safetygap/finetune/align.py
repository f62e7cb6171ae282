"""`safetygap align`: the vendor's safety step for the embedded default, merged into a new base.

SmolLM2-135M-Instruct barely refuses, so it plays Llama-3.1-8B-Instruct only after this: LoRA
SFT on plain-format harmful train seeds answered with refusals, plus benign instructions
answered with the base model's own greedy answers (self-distillation keeps its skills), then
the adapter is merged and saved as a full checkpoint usable as `--model DIR`.
"""

import json
import os
import shutil
from pathlib import Path

from safetygap.errors import UserError
from safetygap.jsonl import atomic_write, write_jsonl
from safetygap.lock import hold
from safetygap.models.registry import DEFAULT_CHAT_MODEL


def alignment_data(model: str, n_harmful: int, n_benign: int, log=print) -> list[dict]:
    """Refusals for harmful train seeds (plain format) and the base's answers to benign ones."""
    from safetygap.bench.build import SeedOptions, load_pool
    from safetygap.bench.formats import pick_template, refusal, wrap
    from safetygap.bench.pool import balanced
    from safetygap.finetune.curves import answer

    pool = load_pool(SeedOptions())
    harmful = balanced(pool.side("train", harmful=True), n_harmful, salt="align")
    benign = balanced(pool.side("train", harmful=False), n_benign, salt="align")
    if not harmful:
        raise UserError("no harmful train seeds to align on")
    records = []
    for seed in harmful:
        template = pick_template("plain", seed, salt="align")
        rid = f"plain/{template}/{seed.seed_id}"
        records.append(
            {"id": rid, "prompt": wrap("plain", template, seed), "response": refusal("plain", rid)}
        )
    prompts = []
    for seed in benign:
        template = pick_template("plain", seed, salt="align")
        prompts.append(
            {
                "id": f"plain/{template}/{seed.seed_id}",
                "format": "plain",
                "prompt": wrap("plain", template, seed),
            }
        )
    if prompts:
        log(f"answering {len(prompts)} benign instructions with the base model (greedy)")
        answers = answer(model, None, prompts, max_new_tokens=128)
        records += [
            {"id": p["id"], "prompt": p["prompt"], "response": answers[p["id"]]}
            for p in prompts
            if answers[p["id"]].strip()
        ]
    return sorted(records, key=lambda r: r["id"])


def merge(base_settings, adapter: Path, out: Path) -> None:
    """Save base + adapter as one checkpoint (with the tokenizer) into `out`, atomically."""
    from peft import PeftModel

    from safetygap.finetune.model import load_base
    from safetygap.models.load import quiet_libraries

    model, tok, _, _ = load_base(base_settings, log=lambda *_: None)
    with quiet_libraries():
        merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        merged.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        shutil.copy(adapter / "settings.json", tmp / "align_settings.json")
        shutil.copy(adapter / "data.json", tmp / "align_data.json")
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def is_aligned(out: Path) -> bool:
    """Whether `out` holds a finished aligned checkpoint."""
    return (out / "config.json").is_file() and (out / "align_settings.json").is_file()


def align(
    out: str | Path,
    model: str = DEFAULT_CHAT_MODEL,
    n_harmful: int = 160,
    n_benign: int = 160,
    epochs: float = 2.0,
    seed: int = 0,
    n_eval: int = 40,
    log=print,
) -> Path:
    from safetygap.finetune.config import resolve
    from safetygap.finetune.trainer import finetune

    out = Path(out)
    if is_aligned(out):
        log(f"{out}: already aligned")
    elif out.exists():
        raise UserError(f"{out} exists and is not an aligned checkpoint: choose another --out")
    else:
        hold(out)
        work = out.with_name(out.name + ".align")
        work.mkdir(parents=True, exist_ok=True)
        data = work / "data.jsonl"
        if not data.is_file():
            write_jsonl(data, alignment_data(model, n_harmful, n_benign, log))
        n = sum(1 for _ in data.open())
        settings = resolve(
            model=model,
            task=str(data),
            samples=n,
            epochs=epochs,
            seed=seed,
            batch_size=8,
            lora_r=16,
            lora_alpha=32,
            max_length=256,
            save_every=20,
        )
        adapter = finetune(settings, work / "adapter", log=log)
        merge(settings, adapter, out)
        shutil.rmtree(work, ignore_errors=True)
        log(f"{out}: aligned checkpoint ({n} examples, {epochs} epochs)")
    if n_eval:
        report(model, str(out), n_eval, log)
    return out


def report(base: str, aligned: str, n_seeds: int, log=print) -> dict:
    """ASR (classifier judge) of the base and the aligned model, by format."""
    from safetygap.finetune.curves import bench_subset, measure

    items = bench_subset(n_seeds * 5)
    rows = {"base": measure(base, None, items), "aligned": measure(aligned, None, items)}
    with atomic_write(Path(aligned) / "align_asr.json") as f:
        json.dump(rows, f, indent=1)
    formats = sorted(rows["base"]["by_format"])
    log(f"ASR on {len(items)} harmful test items ({rows['base']['judge']} judge)")
    log(f"{'model':8} {'overall':>8} " + " ".join(f"{f:>14}" for f in formats))
    for name, r in rows.items():
        log(f"{name:8} {r['overall']:>8} " + " ".join(f"{r['by_format'][f]:>14}" for f in formats))
    return rows
