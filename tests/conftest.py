"""Shared fixtures: the real embedded model (pulled once), a tiny random Llama for plumbing,
a six-item bench, two tiny models and a task file for the sweep tests, and seed fixtures for the
bench and data tests (a fake embedder, the real pool, a seed CSV). Plain helpers that test
modules import are in tests/helpers.py; no test module imports another."""

import hashlib
import json
import re

import numpy as np
import pytest

from safetygap.models.pull import ensure
from tests.helpers import make_tiny_llama, write_bench


@pytest.fixture(scope="session")
def smollm_dir():
    """The materialised embedded chat model (pulled into $SAFETYGAP_HOME on first use)."""
    return ensure("smollm2-135m-instruct", log=lambda *_: None)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory, smollm_dir):
    return make_tiny_llama(tmp_path_factory.mktemp("tiny"), smollm_dir)


@pytest.fixture(scope="session")
def varied_dir(tmp_path_factory, smollm_dir):
    """A tiny random Llama whose greedy answers vary from token to token, and that learns its
    examples within a few steps (the default one's near-uniform outputs hardly move)."""
    return make_tiny_llama(tmp_path_factory.mktemp("varied"), smollm_dir, hidden=64, init=0.1)


@pytest.fixture
def prompt_file(tmp_path):
    path = tmp_path / "prompts.jsonl"
    prompts = [
        "Hi",
        "What is two plus two?",
        "Name a colour.",
        "Write a word.",
        "Say hello in French please.",
        "Count to three.",
    ]
    path.write_text(
        "".join(json.dumps({"id": f"q{i}", "prompt": p}) + "\n" for i, p in enumerate(prompts))
    )
    return path


def fake_embed(texts: list[str]) -> np.ndarray:
    """Bag of words hashed into 384 dimensions, unit length: texts sharing most words are
    close, unrelated texts are far apart. Deterministic and instant."""
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % 384] += 1.0
        out[i] /= max(np.linalg.norm(out[i]), 1e-9)
    return out


@pytest.fixture
def embed_fn():
    return fake_embed


@pytest.fixture(scope="session")
def real_pool():
    """The default pool (all built-in sources) with the real MiniLM embeddings (cached)."""
    from safetygap.bench.build import SeedOptions, load_pool

    return load_pool(SeedOptions())


def write_seed_csv(path, rows, header=("prompt", "category")):
    import csv

    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


# Placeholder "harmful" requests for tests: labels only, no content.
PLACEHOLDER_TOPICS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
]


@pytest.fixture
def seed_opts(seed_csv):
    """Seed options for a placeholder seed file plus our benign look-alikes, half to test."""
    from safetygap.bench.build import SeedOptions

    return SeedOptions(
        seed_file=seed_csv,
        category_column="category",
        sources=["safetygap-benign"],
        test_fraction=0.5,
    )


@pytest.fixture
def seed_pool(seed_opts, embed_fn):
    from safetygap.bench.build import load_pool

    return load_pool(seed_opts, embed_fn)


@pytest.fixture
def seed_csv(tmp_path):
    n = len(PLACEHOLDER_TOPICS)
    rows = [
        (
            f"Request {t} {PLACEHOLDER_TOPICS[(i + 7) % n]} {PLACEHOLDER_TOPICS[(i + 13) % n]}",
            ["cybercrime_intrusion", "Violence", "S009private"][i % 3],
        )
        for i, t in enumerate(PLACEHOLDER_TOPICS)
    ]
    return write_seed_csv(tmp_path / "seeds.csv", rows)


@pytest.fixture
def bench(tmp_path):
    """A six-item bench file (tests.helpers.write_bench)."""
    return write_bench(tmp_path / "bench.jsonl")


@pytest.fixture(scope="module")
def models(tmp_path_factory, smollm_dir):
    """(aligned, unaligned): two tiny Llamas of the same shapes, for the sweep tests."""
    root = tmp_path_factory.mktemp("sweep-models")
    return (
        make_tiny_llama(root / "aligned", smollm_dir, seed=0),
        make_tiny_llama(root / "unaligned", smollm_dir, seed=1),
    )


@pytest.fixture
def task_file(tmp_path):
    """A 40-row labelling task for the sweep tests (the fine-tune tests have their own)."""
    path = tmp_path / "labels.jsonl"
    rows = [
        {"id": f"t{i}", "prompt": f"Is {i} even or odd?", "response": "even" if i % 2 else "odd"}
        for i in range(40)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
