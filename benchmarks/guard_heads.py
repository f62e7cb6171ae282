"""The classifier guard's two shipped heads, rebuilt by `safetygap guard train`:

    .venv/bin/python benchmarks/guard_heads.py [--install]

runs, into runs/guard/heads/NAME/head.json,

    safetygap guard train --formats plain --out runs/guard/heads/plain
    safetygap guard train --formats all-formats --out runs/guard/heads/all-formats

(the recipe: `src/safetygap/guard/train.py`; the train bench and the train half of the ordinary
requests, the L2 penalty by 5-fold CV grouped by seed), and prints how far each head is from the
shipped one. `--install` copies them to src/safetygap/guard/heads/ (the shipped heads).
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "runs" / "guard" / "heads"
SG = [sys.executable, "-m", "safetygap"]
HEADS = {"plain": "plain", "all-formats": "all-formats"}  # shipped name -> --formats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--install", action="store_true", help="copy the heads into the package")
    args = ap.parse_args()
    from safetygap.guard.classifier import HEADS as SHIPPED

    for name, formats in HEADS.items():
        out = RUNS / name
        cmd = [*SG, "guard", "train", "--formats", formats, "--out", str(out)]
        subprocess.run(cmd, check=True)
        new = json.loads((out / "head.json").read_text())
        shipped = json.loads((SHIPPED / f"{name}.json").read_text())
        diff = max(abs(a - b) for a, b in zip(new["weights"], shipped["weights"], strict=True))
        diff = max(diff, abs(new["bias"] - shipped["bias"]))
        print(f"{name}: l2 {new['l2']} (shipped {shipped['l2']}), max |difference| {diff:.3g}")
        if args.install:
            shutil.copy(out / "head.json", SHIPPED / f"{name}.json")
            print(f"installed {SHIPPED / f'{name}.json'}")


if __name__ == "__main__":
    main()
