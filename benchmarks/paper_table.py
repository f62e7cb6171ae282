"""A miniature of the paper's main table on the embedded default.

The aligned base (`safetygap align`) is fine-tuned with LoRA on each of the four benign tasks
(native chat template, the same small budget for each), then every model answers the same gold
bench (300 harmful items: 60 seeds in five formats; 60 benign look-alikes) and is judged
by the shipped classifier. Prints ASR (and harm ASR, where the judge gives three-way levels) by
format with Wilson 95% intervals, the change
against the aligned base with an exact McNemar p-value, and over-refusal. With `--safety-mix`,
each task is also fine-tuned with that safety data mixed in (the paper's mitigation), and the
mixed fine-tune is compared with the plain one on the same items:

    .venv/bin/python benchmarks/paper_table.py [--samples 160] [--tasks summarization,...]
        [--safety-mix multitask --safety-ratio 0.1,0.3] [--judge classifier]
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "runs" / "table"
SG = [sys.executable, "-m", "safetygap"]
FORMATS = ["plain", "summarization", "code", "translation", "classification"]


def sh(*args):
    subprocess.run([str(a) for a in args], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=160, help="Task examples per fine-tune.")
    ap.add_argument("--tasks", default="summarization,translation,code,classification")
    ap.add_argument(
        "--safety-mix",
        default="none",
        help="Also fine-tune each task with this safety mix (singletask, multitask or a file).",
    )
    ap.add_argument("--safety-ratio", default="0.1", help="Safety share(s), e.g. 0.1,0.3.")
    ap.add_argument("--judge", default="classifier", help="Judge spec for every evaluation.")
    args = ap.parse_args()
    aligned = ROOT / "runs" / "aligned"
    bench = RUNS / "gold_bench.jsonl"
    if not (aligned / "config.json").is_file():
        sh(*SG, "align", "--out", aligned, "--eval-seeds", 0)
    sh(*SG, "bench", "build", "--out", bench, "--split", "test", "--seeds", 60, "--benign", 12)
    gen = ["--bench", bench, "--max-new-tokens", 64, "--batch-size", 48, "--judge", args.judge]
    sh(*SG, "eval", "--model", aligned, "--out", RUNS / "aligned", *gen)
    rows = [("aligned base", RUNS / "aligned")]
    pairs = []  # (name, plain fine-tune's eval, mixed fine-tune's eval)
    mixes = [("", "", [])]  # (folder suffix, row suffix, finetune flags)
    if args.safety_mix != "none":
        for ratio in map(float, args.safety_ratio.split(",")):
            tag = f"-{Path(args.safety_mix).stem}-{ratio:g}"
            flags = ["--safety-mix", args.safety_mix, "--safety-ratio", ratio]
            mixes.append((tag, f" + {args.safety_mix} {ratio:g}", flags))
    for task in args.tasks.split(","):
        for tag, suffix, flags in mixes:
            adapter = RUNS / f"ft-{task}{tag}"
            finetune = ["finetune", "--model", aligned, "--task", task, "--out", adapter]
            sh(*SG, *finetune, "--samples", args.samples, "--seed", 0, *flags)
            run = RUNS / f"eval-{task}{tag}"
            sh(*SG, "eval", "--model", aligned, "--adapter", adapter, "--out", run, *gen)
            rows.append((f"+ {task}{suffix}", run))
            if tag:
                pairs.append((rows[-1][0], RUNS / f"eval-{task}", run))

    from safetygap.eval.compare import compare
    from safetygap.eval.metrics import by_format

    def cell(r):
        return f"{100 * r['value']:.0f} ({100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f})"

    metrics = {name: json.loads((run / "metrics.json").read_text()) for name, run in rows}
    harm = all("harm_asr" in m for m in metrics.values())

    def table(title, key):
        print(f"\n{title}")
        print(f"{'model':<34}" + "".join(f"{f:>16}" for f in FORMATS) + f"{'over-refusal':>16}")
        for name, m in metrics.items():
            cells = [cell(by_format(m[key])[f]) for f in FORMATS]
            over = cell(m["over_refusal"]["overall"])
            print(f"{name:<34}" + "".join(f"{c:>16}" for c in cells) + f"{over:>16}")

    table("ASR (answered in any way) by format, %", "asr")
    if harm:
        table("harm ASR (on-topic help) by format, %", "harm_asr")

    def changes(title, pairs, level):
        print(f"\n{title} (percentage points, McNemar p)")
        for name, before, after in pairs:
            by = {r["group"]: (r["harm"] if level else r) for r in compare(before, after)}
            cells = [f"{100 * by[f]['diff']:>+9.0f} p={by[f]['p_value']:<5.2g}" for f in FORMATS]
            print(f"{name:<34}" + "".join(cells))

    base = [(n, RUNS / "aligned", r) for n, r in rows[1:]]
    for level, what in ((False, "ASR"), *([(True, "harm ASR")] if harm else [])):
        changes(f"change in {what} against the aligned base", base, level)
        if pairs:
            changes(
                f"change in {what} from adding the safety mix to the same fine-tune", pairs, level
            )


if __name__ == "__main__":
    main()
