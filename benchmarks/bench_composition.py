"""The bench's composition and the split's overlap checks, on the default (built-in) sources.

    python benchmarks/bench_composition.py [--seeds N]

Prints the seed pool (loaded, merged, train/test), the test bench's items by format, category,
source and template, the all-formats safety data's size, and the overlap checks: seeds shared
between train and test (expected 0) and near-duplicate pairs across the split at the merge and
split thresholds (expected 0), counted from scratch on the embeddings.
"""

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np

from safetygap.bench.build import SeedOptions, build_bench, load_pool
from safetygap.bench.pool import MERGE_THRESHOLD, SPLIT_THRESHOLD
from safetygap.safetydata.build import build_safety_data


def table(title: str, counts: dict) -> None:
    print(f"\n{title}")
    width = max(len(str(k)) for k in counts)
    for key, value in counts.items():
        print(f"  {str(key):<{width}}  {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=None, help="harmful test seeds to wrap")
    args = parser.parse_args()

    opts = SeedOptions()
    t0 = time.perf_counter()
    pool = load_pool(opts)
    t_pool = time.perf_counter() - t0
    split = pool.split
    sides = Counter((split[s.seed_id], "harmful" if s.harmful else "benign") for s in pool.seeds)
    print(
        f"seed pool: {pool.n_loaded} loaded, {len(pool.seeds)} after merging near-duplicates "
        f"(cosine >= {MERGE_THRESHOLD}), built in {t_pool:.1f} s"
    )
    print(
        f"  train: {sides['train', 'harmful']} harmful + {sides['train', 'benign']} benign; "
        f"test: {sides['test', 'harmful']} harmful + {sides['test', 'benign']} benign"
    )
    table(
        "harmful seeds by category (train / test)",
        {
            c: f"{n_train} / {n_test}"
            for c in sorted({s.category for s in pool.seeds if s.harmful})
            for n_train, n_test in [
                (
                    sum(1 for s in pool.seeds if s.category == c and split[s.seed_id] == "train"),
                    sum(1 for s in pool.seeds if s.category == c and split[s.seed_id] == "test"),
                )
            ]
        },
    )

    bench = build_bench(opts, split="test", n_seeds=args.seeds, pool=pool)
    m = bench.manifest
    print(f"\ntest bench: {m['n_items']} items ({m['n_harmful']} harmful, {m['n_benign']} benign)")
    table(
        "by format (harmful / benign)",
        {f: f"{c['harmful']} / {c['benign']}" for f, c in m["by_format"].items()},
    )
    table("by category", m["by_category"])
    table("by source", m["by_source"])
    table("by template", m["by_template"])

    data = build_safety_data("all-formats", opts, pool=pool).manifest
    print(
        f"\nall-formats safety data: {data['n_items']} examples ({data['n_harmful']} refusals, "
        f"{data['n_benign']} benign answers)"
    )
    table(
        "by format (refusals / benign answers)",
        {f: f"{c['harmful']} / {c['benign']}" for f, c in data["by_format"].items()},
    )

    # Overlap checks, recomputed here rather than trusted from the split code.
    train_ids = {s.seed_id for s in pool.seeds if split[s.seed_id] == "train"}
    test_ids = {s.seed_id for s in pool.seeds if split[s.seed_id] == "test"}
    for s in pool.seeds:  # merged-away ids count on their leader's side
        (train_ids if split[s.seed_id] == "train" else test_ids).update(s.merged)
    bench_seeds = {r["seed_id"] for r in bench.records}
    data_records = build_safety_data("all-formats", opts, pool=pool).records
    data_seeds = {r["seed_id"] for r in data_records}
    is_test = np.array([split[s.seed_id] == "test" for s in pool.seeds])
    cross = pool.vectors[is_test] @ pool.vectors[~is_test].T
    print("\noverlap checks")
    print(f"  seeds shared between train and test: {len(train_ids & test_ids)}")
    print(f"  bench seeds found in the safety data: {len(bench_seeds & data_seeds)}")
    print(
        f"  near-duplicate pairs across the split (cosine >= {MERGE_THRESHOLD}): "
        f"{int((cross >= MERGE_THRESHOLD).sum())}"
    )
    print(
        f"  related pairs across the split (cosine >= {SPLIT_THRESHOLD}): "
        f"{int((cross >= SPLIT_THRESHOLD).sum())}"
    )
    print(f"  highest cosine across the split: {float(cross.max()):.3f}")


INTRO = """\
Public harmful requests (HarmBench, StrongREJECT, do-not-answer; read at run time from
their PyPI wheels), merged where near-duplicate, split into train and test by similarity
cluster, each in five formats beside benign look-alikes; the all-formats safety data is
built from train seeds only.
"""

if __name__ == "__main__":
    from safetygap.report.pages import results_page

    PAGE = Path(__file__).resolve().parent.parent / "docs" / "results" / "bench.md"
    with results_page(PAGE, "The bench: what it holds", INTRO, fenced=True):
        main()
