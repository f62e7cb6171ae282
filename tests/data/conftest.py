"""Fixtures for the bench tests: a fake embedder for unit tests and the real built-in pool."""

import hashlib
import re

import numpy as np
import pytest


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
