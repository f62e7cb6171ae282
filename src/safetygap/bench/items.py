"""Reading bench files: the records every later stage (eval, compare) starts from."""

from collections.abc import Iterable
from pathlib import Path

from safetygap.errors import UserError
from safetygap.hashing import unit
from safetygap.jsonl import ID, TEXT, read_jsonl

# The kinds of a bench item's fields, where present (`id` and `prompt` always are).
FIELDS = {
    "id": ID,
    "prompt": TEXT,
    "harmful": bool,
    "seed_id": ID,
    "source": str,
    "category": str,
    "source_category": str,
    "format": str,
    "task": str,
    "template": str,
}


def read_bench(
    path: str | Path, limit: int | None = None, required: Iterable[str] = ()
) -> list[dict]:
    """Bench items with string ids, checked unique; `limit` of them, spread over the formats
    (`spread_over_formats`), when given.

    Files written before `task` was renamed `format` still read: the field is renamed here."""
    items = read_jsonl(path, required=["id", "prompt", *required], types=FIELDS)
    for it in items:
        it["id"] = str(it["id"])
        if "format" not in it:
            it["format"] = it.pop("task", "unknown")
    if len({it["id"] for it in items}) != len(items):
        raise UserError(f"{path}: duplicate item ids")
    return spread_over_formats(items, limit) if limit else items


def spread_over_formats(items: list[dict], limit: int) -> list[dict]:
    """`limit` items taken from each format in turn, so that a quick eval covers every format
    (a bench is sorted by format); within a format in a fixed order by hash of the seed, so the
    formats tend to share seeds. Deterministic; kept in the bench's order."""
    by_format: dict[str, list[dict]] = {}
    for it in items:
        by_format.setdefault(it["format"], []).append(it)
    queues = [
        sorted(group, key=lambda it: (unit(str(it.get("seed_id", it["id"])), "limit"), it["id"]))
        for group in by_format.values()
    ]
    chosen: set[str] = set()
    for k in range(max(map(len, queues), default=0)):
        for q in queues:
            if k < len(q) and len(chosen) < limit:
                chosen.add(q[k]["id"])
    return [it for it in items if it["id"] in chosen]
