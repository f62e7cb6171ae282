"""`safetygap demo` from a fresh folder, timed: wall time, the stages' seconds by kind, what the
demo showed, and its verdicts on the paper's four findings; written to docs/results/demo.md.

Run it on a machine doing nothing else (the stage seconds are the point):

    .venv/bin/python benchmarks/demo.py [--out runs/demo-timed]
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from safetygap.report.collect import collect
from safetygap.report.findings import findings
from safetygap.report.pages import results_page
from safetygap.report.render import tables

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "results" / "demo.md"
INTRO = """\
`make demo` runs `safetygap demo`: the `quick` preset on the embedded model (align it, fine-tune
it on classification, translation and code, once more with the all-format safety mix on
classification, repair the classification fine-tune with RESTA, then measure every model on a
small bench, its task, and a guard), then the report. Below: one run from an empty folder, the
stages' own seconds by kind, the report's tables and its verdicts on the paper's findings. At
this size (60 harmful items, 15 look-alikes, a handful of task items) intervals are wide: a
verdict says what these runs show, not what a larger bench would.
"""


def clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "demo-timed")
    args = ap.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "safetygap", "demo", "--out", str(args.out)]
    done = subprocess.run(cmd)
    wall = time.perf_counter() - t0
    index = json.loads((args.out / "sweep.json").read_text())
    by_kind: dict[str, list[float]] = defaultdict(list)
    for s in index["stages"]:
        by_kind[s["kind"]].append(s.get("seconds") or 0.0)
    runs = collect(args.out)
    with results_page(PAGE, "The demo: `make demo` from an empty folder", INTRO):
        print(
            f"Wall time of `safetygap demo` (set-up excluded): {clock(wall)}, "
            f"exit {done.returncode}.\n"
        )
        print("| stage kind | stages | seconds |\n|---|---|---|")
        for kind, secs in by_kind.items():
            print(f"| {kind} | {len(secs)} | {sum(secs):.0f} |")
        print()
        print("## The paper's four findings, and the demo's\n")
        print("| the paper | here | evidence |\n|---|---|---|")
        for f in findings(runs):
            print(f"| {f['paper']} | {f['verdict']} | {f['evidence']} |")
        for t in tables(runs):
            print(f"\n## {t['title']}\n")
            if t.get("note"):
                print(t["note"] + "\n")
            print("| " + " | ".join(t["header"]) + " |\n|" + "---|" * len(t["header"]))
            for row in t["rows"]:
                print("| " + " | ".join(str(c) for c in row) + " |")


if __name__ == "__main__":
    main()
