"""Reading bench files: the records every later stage (eval, compare) starts from."""

from collections.abc import Iterable
from pathlib import Path

from safetygap.errors import UserError
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
    """Bench items with string ids, checked unique; the first `limit` only when given.

    Files written before `task` was renamed `format` still read: the field is renamed here."""
    items = read_jsonl(path, required=["id", "prompt", *required], types=FIELDS)
    for it in items:
        it["id"] = str(it["id"])
        if "format" not in it:
            it["format"] = it.pop("task", "unknown")
    if len({it["id"] for it in items}) != len(items):
        raise UserError(f"{path}: duplicate item ids")
    return items[:limit] if limit else items
