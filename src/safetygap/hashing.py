"""Stable ids and the project's only source of chance: sha256 of a key."""

import hashlib


def unit(key: str, salt: str = "") -> float:
    """A number in [0, 1) derived from `key` by sha256: same key, same number, on any machine."""
    digest = hashlib.sha256(f"{salt}\x00{key}".encode()).hexdigest()
    return int(digest[:15], 16) / 16**15


def text_id(text: str, keep_case: bool = False) -> str:
    """A short stable id for a text: whitespace-insensitive, and case-insensitive unless
    `keep_case` (fine-tuning task examples keep the case-sensitive ids their splits were drawn
    with, so a released split never moves)."""
    norm = " ".join(text.split())
    if not keep_case:
        norm = norm.lower()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:12]
