"""The classifier guard's training recipe: the set each shipped head is trained on, and its fit.

The recipe of `heads/plain.json` and `heads/all-formats.json` (first written as
benchmarks/guard_heads.py, commit 6808b6c):

1. the train bench: every train-split seed, harmful and benign look-alikes, once in every
   format (as `bench build --split train` writes it), so no test seed is ever trained on;
2. the train half of our ordinary everyday requests (`guard/ordinary.py`) in the same formats:
   trained on look-alikes alone, a guard flagged half of everyday traffic;
3. the items a head reads: `plain`, the plain-format items only (how vendor input filters are
   trained); `all-formats`, the items of every format (the paper's cure, applied to
   the guard itself; shipped as `all-formats.json`);
4. the L2 penalty picked from `GRID` by 5-fold cross-validation grouped by seed (one seed's
   formats never straddle folds), scored by balanced accuracy; then one fit on every item.

`guard train` runs it; same seeds and options, same head.
"""

import hashlib

import numpy as np

from safetygap.errors import UserError

FORMAT_SETS = ("plain", "all-formats")
GRID = (0.1, 0.3, 1.0, 3.0, 10.0)
FOLDS = 5


def training_items(seeds: int | None = None, benign: int | None = None) -> tuple[list[dict], str]:
    """(train bench items then ordinary train items, sha256 of the bench as `bench build`
    writes it). `seeds`/`benign`: at most that many harmful/benign train seeds (default all,
    as the shipped heads)."""
    from safetygap.bench.build import SeedOptions, build_bench
    from safetygap.guard.ordinary import bench_items
    from safetygap.jsonl import dumps

    bench = build_bench(SeedOptions(), split="train", n_seeds=seeds, n_benign=benign).records
    digest = hashlib.sha256("".join(dumps(r) + "\n" for r in bench).encode("utf-8")).hexdigest()
    return bench + bench_items("train"), digest


def select(items: list[dict], formats: str) -> list[int]:
    """Indices of the items a head of `formats` (plain or all-formats) is trained on."""
    if formats not in FORMAT_SETS:
        raise UserError(f"unknown --formats {formats!r}: choose from {', '.join(FORMAT_SETS)}")
    return [i for i, it in enumerate(items) if formats == "all-formats" or it["format"] == "plain"]


def cv_score(x: np.ndarray, y: np.ndarray, groups: list[str], l2: float) -> float:
    """Mean balanced accuracy over `FOLDS` folds grouped by seed."""
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import GroupKFold

    from safetygap.judge.classifier import fit_logistic

    scores = []
    for train, test in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        w, b = fit_logistic(x[train], y[train], l2)
        scores.append(balanced_accuracy_score(y[test], (x[test] @ w + b) > 0))
    return float(np.mean(scores))


def build_head(
    formats: str,
    seeds: int | None = None,
    benign: int | None = None,
    l2: float | None = None,
    log=print,
) -> dict:
    """The head (JSON-ready) of `formats`: the recipe above; `l2` given skips the search."""
    from safetygap.guard.classifier import features, train_head

    items, bench_sha = training_items(seeds, benign)
    idx = select(items, formats)
    use = [items[i] for i in idx]
    groups = [it["seed_id"] for it in use]
    n_groups = len(set(groups))
    cv = None
    if l2 is None:
        if n_groups < FOLDS:
            raise UserError(f"{n_groups} seeds are too few for {FOLDS}-fold CV: give --l2")
        # Every item is embedded together and the plain ones sliced out, as the shipped heads
        # were; the final fit (train_head) embeds its own items again.
        x = features([it["prompt"] for it in items])[idx]
        y = np.array([it["harmful"] for it in use], dtype=np.float64)
        if y.min() == y.max():
            raise UserError("guard training data needs harmful and benign items")
        cv = {str(v): round(cv_score(x, y, groups, v), 4) for v in GRID}
        l2 = float(max(cv, key=cv.get))
        log(f"cv balanced accuracy by l2: {cv} -> l2 {l2}")
    provenance = {
        "recipe": f"safetygap guard train --formats {formats}",
        "bench": "safetygap bench build --split train"
        + (f" --seeds {seeds}" if seeds else "")
        + (f" --benign {benign}" if benign is not None else "")
        + " (all formats)",
        "ordinary": "guard/ordinary.py train half, same formats",
        "bench_sha256": bench_sha,
        "formats": "plain" if formats == "plain" else "all",
        "cv_balanced_accuracy_by_l2": cv,
    }
    return train_head(use, l2=l2, provenance=provenance)
