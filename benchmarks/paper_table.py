"""A miniature of the paper's main table on the embedded default: the `paper-table` preset.

The sweep (`safetygap sweep paper-table`) aligns the base, fine-tunes it with LoRA on each of the
four benign tasks (native chat template, 160 examples each), once plain and once with the
paper's safety mix in every format (`all-formats`) at 30%; every model answers the same gold
bench (300 harmful items: 60 seeds in five formats; 60 benign look-alikes) and the shipped
classifier judges. This script runs that sweep (cached stages are reused) and prints ASR (and
harm ASR, where the judge gives three-way levels) by format with Wilson 95% intervals, the change
against the aligned base with an exact McNemar p-value, over-refusal, and the change from adding
the safety mix to the same fine-tune:

    .venv/bin/python benchmarks/paper_table.py [--preset paper-table] [--out runs/paper-table]

The tables go to docs/results/paper-table.md as well. Other scripts read the sweep's runs
through its sweep.json (`--sweep`), never through names this one makes.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from safetygap.bench.formats import FORMATS as FORMAT_REGISTRY
from safetygap.report.pages import results_page

ROOT = Path(__file__).resolve().parent.parent
FORMATS = FORMAT_REGISTRY.names()
PAGE = ROOT / "docs" / "results" / "paper-table.md"
INTRO = """\
The `paper-table` preset on the embedded model: the aligned base, fine-tuned with LoRA on each
of the four benign tasks (160 examples, native chat template), once plain and once with the
all-formats safety mix at 30%; every model answers the gold bench (60 harmful test seeds in five
formats, 12 benign look-alikes), judged by the shipped classifier. ASR and over-refusal with
Wilson 95% intervals; changes are paired on the same items (exact McNemar).
"""


def rows_of(out: Path) -> tuple[list[tuple[str, Path]], list[tuple[str, Path, Path]]]:
    """(row name, eval folder) for the base and every fine-tune; (name, plain, mixed) pairs."""
    sweep = json.loads((out / "sweep.json").read_text())
    evals = [
        s for s in sweep["stages"] if s["kind"] == "eval" and s["labels"]["mitigation"] == "none"
    ]
    rows, plain, pairs = [], {}, []
    for s in evals:
        labels, folder = s["labels"], out / s["folder"]
        if labels["model"] == "base":
            rows.insert(0, ("aligned base", folder))
            continue
        mix = labels["safety_mix"]
        name = f"+ {labels['task']}" + (
            "" if mix == "none" else f" + {' '.join(mix.rsplit('-', 1))}"
        )
        rows.append((name, folder))
        if mix == "none":
            plain[labels["task"]] = folder
        else:
            pairs.append((name, labels["task"], folder))
    return rows, [(name, plain[task], folder) for name, task, folder in pairs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="paper-table", help="Preset name or sweep config file.")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "paper-table")
    args = ap.parse_args()
    sweep = [sys.executable, "-m", "safetygap", "sweep", args.preset, "--out", str(args.out)]
    subprocess.run(sweep, check=True)

    from safetygap.eval.compare import compare
    from safetygap.eval.metrics import by_format

    rows, pairs = rows_of(args.out)

    with results_page(PAGE, "A miniature of the paper's main table", INTRO):
        print("```")

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
                cells = [
                    f"{100 * by[f]['diff']:>+9.0f} p={by[f]['p_value']:<5.2g}" for f in FORMATS
                ]
                print(f"{name:<34}" + "".join(cells))

        base = [(name, rows[0][1], run) for name, run in rows[1:]]
        for level, what in ((False, "ASR"), *([(True, "harm ASR")] if harm else [])):
            changes(f"change in {what} against the aligned base", base, level)
            if pairs:
                changes(
                    f"change in {what} from adding the safety mix to the same fine-tune",
                    pairs,
                    level,
                )

        print("```")


if __name__ == "__main__":
    main()
