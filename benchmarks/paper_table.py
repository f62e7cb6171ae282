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

The other benchmark scripts (helpfulness, guards, repair map, judge gold labels) read the
table's runs by name: runs/aligned (the aligned base), runs/table/aligned (its eval),
runs/table/ft-TASK[-all-formats-0.3] (the adapters) and runs/table/eval-TASK[-all-formats-0.3]. This
script links those names to the sweep's stage folders; a real folder of that name is left alone.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from safetygap.bench.formats import FORMATS as FORMAT_REGISTRY

ROOT = Path(__file__).resolve().parent.parent
FORMATS = FORMAT_REGISTRY.names()


def link(name: Path, target: Path) -> None:
    """Point `name` at `target`, unless a real folder of that name is there."""
    if name.is_symlink():
        name.unlink()
    elif name.exists():
        print(f"kept {name} (a folder, not a link to this sweep)")
        return
    name.parent.mkdir(parents=True, exist_ok=True)
    name.symlink_to(target.resolve(), target_is_directory=True)


def rows_of(out: Path) -> tuple[list[tuple[str, Path]], list[tuple[str, Path, Path]]]:
    """(row name, eval folder) for the base and every fine-tune; (name, plain, mixed) pairs.

    Also links the runs under the names the other benchmark scripts read."""
    sweep = json.loads((out / "sweep.json").read_text())
    stage = {s["name"]: s for s in sweep["stages"]}
    evals = [
        s for s in sweep["stages"] if s["kind"] == "eval" and s["labels"]["mitigation"] == "none"
    ]
    link(ROOT / "runs" / "aligned", out / stage["align"]["folder"] / "model")
    rows, plain, pairs = [], {}, []
    for s in evals:
        labels, folder = s["labels"], out / s["folder"]
        if labels["model"] == "base":
            rows.insert(0, ("aligned base", folder))
            link(ROOT / "runs" / "table" / "aligned", folder)
            continue
        mix = labels["safety_mix"]
        name = f"+ {labels['task']}" + (
            "" if mix == "none" else f" + {' '.join(mix.rsplit('-', 1))}"
        )
        tag = labels["task"] + ("" if mix == "none" else f"-{mix}")
        link(ROOT / "runs" / "table" / f"eval-{tag}", folder)
        link(
            ROOT / "runs" / "table" / f"ft-{tag}",
            out / stage[s["deps"]["adapter"]]["folder"] / "adapter",
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

    base = [(name, rows[0][1], run) for name, run in rows[1:]]
    for level, what in ((False, "ASR"), *([(True, "harm ASR")] if harm else [])):
        changes(f"change in {what} against the aligned base", base, level)
        if pairs:
            changes(
                f"change in {what} from adding the safety mix to the same fine-tune", pairs, level
            )


if __name__ == "__main__":
    main()
