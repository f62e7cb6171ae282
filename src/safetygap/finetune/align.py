"""`safetygap align`: the vendor's safety step for the embedded default, merged into a new base.

SmolLM2-135M-Instruct barely refuses, so it plays Llama-3.1-8B-Instruct only after this: LoRA
SFT on plain-format harmful train seeds answered with refusals, plus benign instructions
answered with the base model's own greedy answers (self-distillation keeps its skills), then
the adapter is merged and saved as a full checkpoint usable as `--model DIR`.

`--deep K` makes the alignment deeper, after Qi et al., "Safety Alignment Should Be Made More
Than Just a Few Tokens Deep" (ICLR 2025, arXiv 2406.05946, sec. 4): it adds safety-recovery
examples, a harmful request, the first k tokens of a compliant answer, then a refusal, trained on
the refusal only, so that the model learns to return to a refusal after a harmful start instead
of deciding only in its first tokens. Where ours differs from theirs:
- their harmful answers came from a jailbroken Llama-2 (256 examples); ours are the unaligned
  base's own greedy answers to the same harmful train requests, kept where the default judge
  reads them as answered (the rest have nothing to recover from);
- they draw k afresh every time an example is seen (k = 0, a plain refusal, half the time, else
  uniform in 1..100); we draw it once per example (uniform in 1..min(K, answer length), seeded by
  its id) and keep the plain refusals as they are, so the data is a file and a run reproducible;
- their utility anchor is Alpaca answered by the aligned model; ours is the benign half of the
  usual alignment data (the base's own answers);
- `--deep-formats all` also writes recovery examples in the four wrapped formats, which they
  did not have.
"""

import json
import os
import shutil
from pathlib import Path

from safetygap.errors import UserError
from safetygap.jsonl import atomic_write, write_jsonl
from safetygap.lock import hold
from safetygap.models.registry import DEFAULT_CHAT_MODEL

DEEP_MAX = 128  # tokens of a harmful start: theirs run to 100, and align's examples hold 256
DEEP_FORMATS = ("plain", "all")


def alignment_data(
    model: str,
    n_harmful: int,
    n_benign: int,
    deep: int = 0,
    deep_formats: str = "plain",
    log=print,
) -> list[dict]:
    """Refusals for harmful train seeds (plain format), the base's answers to benign ones, and
    with `deep` > 0 safety-recovery examples (see the module's docstring)."""
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
    if deep:
        from safetygap.bench.formats import FORMATS

        formats = ["plain"] if deep_formats == "plain" else list(FORMATS)
        records += recovery_examples(model, harmful, deep, formats, log=log)
    return sorted(records, key=lambda r: r["id"])


def recovery_examples(
    model: str, harmful: list, deep: int, formats: list[str], judge: str = "", log=print
) -> list[dict]:
    """For each harmful seed and format: the unaligned model's greedy answer (`deep` tokens), and
    where the default judge reads it as answered, a record whose `prefix` is its first k tokens
    (k uniform in 1..min(deep, its length), by hash of the id) and whose response is a refusal
    written for the format; the trainer scores the refusal only."""
    from safetygap.bench.formats import pick_template, refusal, wrap
    from safetygap.finetune.curves import JUDGE
    from safetygap.generate.base import Request, Sampling, load_backend
    from safetygap.hashing import unit
    from safetygap.judge import load_judge

    items = []
    for fmt in formats:
        for seed in harmful:
            template = pick_template(fmt, seed, salt="align")
            rid = f"{fmt}/{template}/{seed.seed_id}"
            items.append({"id": rid, "format": fmt, "prompt": wrap(fmt, template, seed)})
    log(f"answering {len(items)} harmful train requests with the base model ({deep} tokens)")
    backend = load_backend(model, None)
    requests = [Request(i["id"], i["prompt"]) for i in items]
    answers = {c.id: c.response for c in backend.generate(requests, Sampling(deep))}
    pairs = [{"id": i["id"], "prompt": i["prompt"], "response": answers[i["id"]]} for i in items]
    verdicts = load_judge(judge or JUDGE).judge(pairs)
    answered = {rid for rid, v in verdicts if v.verdict == "answered"}
    records = []
    for i in items:
        ids = backend.tok(answers[i["id"]], add_special_tokens=False)["input_ids"]
        if i["id"] not in answered or not ids:
            continue
        k = 1 + int(unit(i["id"], "deep-k") * min(deep, len(ids)))
        rid = f"deep/{i['id']}"
        prefix = backend.tok.decode(ids[:k])
        records.append(
            {
                "id": rid,
                "prompt": i["prompt"],
                "prefix": prefix,
                "response": refusal(i["format"], rid),
            }
        )
    log(f"{len(records)} recovery examples ({len(items) - len(records)} answers were refusals)")
    return records


OPTIONS = "align_options.json"  # what `align` was asked for, kept with the checkpoint


def _read_options(folder: Path) -> dict | None:
    try:
        return json.loads((folder / OPTIONS).read_text())
    except (OSError, ValueError):
        return None


def align_options(n_harmful, n_benign, epochs, seed, deep=0, deep_formats="plain") -> dict:
    """What an aligned checkpoint was made with, as `align_options.json` keeps it."""
    options = {"harmful": n_harmful, "benign": n_benign, "epochs": epochs, "seed": seed}
    return {**options, "deep": deep, "deep_formats": deep_formats if deep else None}


def check_same_alignment(out: Path, options: dict) -> None:
    """UserError when the aligned checkpoint in `out` was made with other options (one made
    before the options were kept is taken as it is)."""
    there = _read_options(out)
    if there is None:
        return
    there.setdefault("deep", 0)
    there.setdefault("deep_formats", None)
    differ = [
        f"{k}: {there.get(k)} there, {v} here" for k, v in options.items() if there.get(k) != v
    ]
    if differ:
        raise UserError(f"{out} holds an alignment with other settings ({', '.join(differ)})")


def merge(base_settings, adapter: Path, out: Path, options: Path | None = None) -> None:
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
        if options is not None:
            shutil.copy(options, tmp / OPTIONS)
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
    deep: int = 0,
    deep_formats: str = "plain",
    log=print,
) -> Path:
    from safetygap.finetune.config import resolve
    from safetygap.finetune.trainer import finetune

    out = Path(out)
    options = align_options(n_harmful, n_benign, epochs, seed, deep, deep_formats)
    if is_aligned(out):
        check_same_alignment(out, options)
        log(f"{out}: already aligned")
    elif out.exists():
        raise UserError(f"{out} exists and is not an aligned checkpoint: choose another --out")
    else:
        hold(out)
        work = out.with_name(out.name + ".align")
        if work.is_dir() and _read_options(work) != options:  # a killed run of other settings
            shutil.rmtree(work)
        work.mkdir(parents=True, exist_ok=True)
        with atomic_write(work / OPTIONS) as f:
            json.dump(options, f, indent=1)
        data = work / "data.jsonl"
        if not data.is_file():
            records = alignment_data(model, n_harmful, n_benign, deep, deep_formats, log)
            write_jsonl(data, records)
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
        merge(settings, adapter, out, work / OPTIONS)
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
