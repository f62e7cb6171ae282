"""A miniature of the paper's main table on the embedded default.

The aligned base (`safetygap align`) is fine-tuned with LoRA on each of the four benign tasks
(native chat template, the same small budget for each), then every model answers the same gold
bench (300 harmful items: 60 seeds in five task formats; 60 benign look-alikes) and is judged
by the shipped classifier. Prints ASR by task format with Wilson 95% intervals, the change
against the aligned base with an exact McNemar p-value, and over-refusal:

    .venv/bin/python benchmarks/paper_table.py [--samples 160] [--tasks summarization,...]
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
    args = ap.parse_args()
    aligned = ROOT / "runs" / "aligned"
    bench = RUNS / "gold_bench.jsonl"
    if not (aligned / "config.json").is_file():
        sh(*SG, "align", "--out", aligned, "--eval-seeds", 0)
    sh(*SG, "bench", "build", "--out", bench, "--split", "test", "--seeds", 60, "--benign", 12)
    gen = ["--bench", bench, "--max-new-tokens", 64, "--batch-size", 48, "--judge", "classifier"]
    sh(*SG, "eval", "--model", aligned, "--out", RUNS / "aligned", *gen)
    rows = [("aligned base", RUNS / "aligned")]
    for task in args.tasks.split(","):
        adapter = RUNS / f"ft-{task}"
        sh(
            *SG,
            "finetune",
            "--model",
            aligned,
            "--task",
            task,
            "--out",
            adapter,
            "--samples",
            args.samples,
            "--seed",
            0,
        )
        sh(
            *SG,
            "eval",
            "--model",
            aligned,
            "--adapter",
            adapter,
            "--out",
            RUNS / f"eval-{task}",
            *gen,
        )
        rows.append((f"+ {task} fine-tune", RUNS / f"eval-{task}"))

    from safetygap.eval.compare import compare

    def cell(r):
        return f"{100 * r['value']:.0f} ({100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f})"

    print(f"\n{'model':<28}" + "".join(f"{f:>16}" for f in FORMATS) + f"{'over-refusal':>16}")
    for name, run in rows:
        m = json.loads((run / "metrics.json").read_text())
        cells = [cell(m["asr"]["by_task"][f]) for f in FORMATS]
        print(
            f"{name:<28}"
            + "".join(f"{c:>16}" for c in cells)
            + f"{cell(m['over_refusal']['overall']):>16}"
        )
    print("\nchange against the aligned base (percentage points, McNemar p)")
    for name, run in rows[1:]:
        by = {r["group"]: r for r in compare(RUNS / "aligned", run)}
        print(
            f"{name:<28}"
            + "".join(f"{100 * by[f]['diff']:>+9.0f} p={by[f]['p_value']:<5.2g}" for f in FORMATS)
        )


if __name__ == "__main__":
    main()
