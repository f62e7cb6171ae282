"""The paper-mini study's wall time: the preset run in a fresh folder, then once more in it.

Runs `safetygap sweep paper-mini --out DIR` (DIR must not exist), times it, reads each stage's
seconds from DIR/sweep.json and sums them by kind, then runs the same command again (every
stage served from the folder) and times that. Writes docs/results/paper-mini.md. Run it on a
machine doing nothing else: the stages' times are wall-clock.

    .venv/bin/python benchmarks/paper_mini_time.py [--out runs/paper-mini-time]
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from safetygap.report.pages import results_page

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "results" / "paper-mini.md"
# The same study before continuous batching and oneDNN (recorded 2026-11-28 with /usr/bin/time,
# eval batch 48, helpfulness batch 16): wall time and the stages' minutes by kind.
BEFORE = {
    "wall": "50:59",
    "align": 5.8,
    "finetune": 6.3,
    "mitigate": 0.3,
    "eval": 19.0,
    "helpfulness": 18.9,
    "guard": 0.5,
}
INTRO = """\
The `paper-mini` preset (configs/paper-mini.yaml: the embedded model aligned, fine-tuned on four
tasks in two chat formats, each model tested with the system prompt off and on, RESTA on each
plain fine-tune, the task skill of every model, two guards; 128 stages) from an empty folder on
this project's 2-core CPU machine, with nothing else running, then once more in the same
folder. "Before" is the same preset recorded on 2026-11-28, before answering moved to
continuous batching with oneDNN's matmul (and batches of 64 instead of 48 for evals and 16 for
helpfulness)."""


def clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:05.2f}"


def timed(out: Path) -> float:
    cmd = [sys.executable, "-m", "safetygap", "sweep", "paper-mini", "--out", str(out)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=sys.stderr)  # its progress stays off the page
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "paper-mini-time")
    a = ap.parse_args()
    if a.out.exists():
        sys.exit(f"{a.out} exists: the first run must start from an empty folder")
    first = timed(a.out)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    stages = json.loads((a.out / "sweep.json").read_text())["stages"]  # the second run rewrites it
    again = timed(a.out)
    by_kind, count = defaultdict(float), defaultdict(int)
    for s in stages:
        by_kind[s["kind"]] += s.get("seconds") or 0.0
        count[s["kind"]] += 1
    with results_page(PAGE, "The paper-mini study: wall time", INTRO):
        print("| | now | before |")
        print("|---|---:|---:|")
        print(f"| wall time, fresh folder (min:s) | {clock(first)} | {BEFORE['wall']} |")
        print(f"| wall time, second run (s) | {again:.1f} | 8.3 |")
        print(f"| peak memory of the sweep process (GiB) | {rss:.1f} | 5.7 |")
        print("\nThe stages' own seconds, summed by kind (minutes):\n")
        print("| kind | stages | now | before |")
        print("|---|---:|---:|---:|")
        for kind in sorted(by_kind, key=lambda k: -by_kind[k]):
            before = BEFORE.get(kind)
            print(
                f"| {kind} | {count[kind]} | {by_kind[kind] / 60:.1f} | "
                f"{'' if before is None else f'{before:.1f}'} |"
            )


if __name__ == "__main__":
    main()
