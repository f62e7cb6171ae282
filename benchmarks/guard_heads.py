"""The classifier guard's two shipped heads, rebuilt from public data by one command:

    .venv/bin/python benchmarks/guard_heads.py [--install]

1. builds the train bench (`safetygap bench build --split train`: every train-split seed, harmful
   and benign look-alikes, in all five formats), so no test seed is ever trained on, and adds
   the train half of our ordinary everyday requests (`guard/ordinary.py`) in the same formats:
   trained on look-alikes alone, a guard flags half of everyday traffic (a first build flagged
   "Suggest a name for my new bakery");
2. for each head, picks the L2 penalty by 5-fold cross-validation grouped by seed (one seed's
   formats never straddle folds), scored by balanced accuracy:
   - `plain`: the plain-format items only (how vendor input filters are trained);
   - `all-formats`: the items of every format (the paper's cure, safety data in every format,
     applied to the guard);
3. fits each head on all its items and writes it to runs/guard/heads/NAME.json;
   `--install` copies them to src/safetygap/guard/heads/ (the shipped heads).
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "runs" / "guard"
SG = [sys.executable, "-m", "safetygap"]
GRID = (0.1, 0.3, 1.0, 3.0, 10.0)


def cv_score(x: np.ndarray, y: np.ndarray, groups: list[str], l2: float) -> float:
    """Mean balanced accuracy over 5 folds grouped by seed."""
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import GroupKFold

    from safetygap.judge.classifier import fit_logistic

    scores = []
    for train, test in GroupKFold(n_splits=5).split(x, y, groups):
        w, b = fit_logistic(x[train], y[train], l2)
        scores.append(balanced_accuracy_score(y[test], (x[test] @ w + b) > 0))
    return float(np.mean(scores))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--install", action="store_true", help="copy the heads into the package")
    args = ap.parse_args()
    from safetygap.guard.classifier import HEADS, features, train_head
    from safetygap.guard.ordinary import bench_items
    from safetygap.jsonl import read_jsonl, sha256_file

    RUNS.mkdir(parents=True, exist_ok=True)
    bench = RUNS / "train_bench.jsonl"
    subprocess.run([*SG, "bench", "build", "--out", str(bench), "--split", "train"], check=True)
    items = read_jsonl(bench) + bench_items("train")
    x_all = features([it["prompt"] for it in items])
    for name, keep in (("plain", lambda it: it["format"] == "plain"), ("all-formats", None)):
        idx = [i for i, it in enumerate(items) if keep is None or keep(it)]
        use = [items[i] for i in idx]
        x = x_all[idx]
        y = np.array([it["harmful"] for it in use], dtype=np.float64)
        groups = [it["seed_id"] for it in use]
        cv = {str(l2): round(cv_score(x, y, groups, l2), 4) for l2 in GRID}
        best = float(max(cv, key=cv.get))
        provenance = {
            "recipe": "benchmarks/guard_heads.py",
            "bench": "safetygap bench build --split train (all formats)",
            "ordinary": "guard/ordinary.py train half, same formats",
            "bench_sha256": sha256_file(bench),
            "formats": "plain" if keep else "all",
            "cv_balanced_accuracy_by_l2": cv,
        }
        head = train_head(use, l2=best, provenance=provenance)
        path = RUNS / "heads" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(head, indent=0))
        n_harm = head["n_harmful"]
        print(
            f"{name}: {len(use)} items ({n_harm} harmful), cv balanced accuracy {cv}, "
            f"l2 {best}, train accuracy {head['train_accuracy']} -> {path}"
        )
        if args.install:
            shutil.copy(path, HEADS / f"{name}.json")
            print(f"installed {HEADS / f'{name}.json'}")


if __name__ == "__main__":
    main()
