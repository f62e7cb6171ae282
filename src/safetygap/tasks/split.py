"""Deterministic train/eval splits: a hash of the example id decides."""

import hashlib

EVAL_FRACTION = 0.1


def unit(key: str, salt: str = "") -> float:
    """A number in [0, 1) from sha256 of `key`."""
    digest = hashlib.sha256(f"{salt}\x00{key}".encode()).hexdigest()
    return int(digest[:15], 16) / 16**15


def split_of(example_id: str) -> str:
    return "eval" if unit(example_id, "task-split") < EVAL_FRACTION else "train"


def text_id(text: str) -> str:
    """A short stable id for a text."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]
