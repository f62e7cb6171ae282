"""JSONL records and files that are never left half-written."""

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from safetygap.errors import UserError


def read_jsonl(path: str | Path, required: Iterable[str] = ()) -> list[dict]:
    """All records of a JSONL file; a clear UserError for a missing, empty or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is tolerated
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (byte {e.start})") from None
    required = list(required)
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise UserError(f"{path}:{n}: not valid JSON ({e.msg})") from None
        if not isinstance(rec, dict):
            raise UserError(f"{path}:{n}: expected a JSON object, got {type(rec).__name__}")
        missing = [k for k in required if k not in rec]
        if missing:
            raise UserError(f"{path}:{n}: missing field(s) {', '.join(missing)}")
        records.append(rec)
    if not records:
        raise UserError(f"{path}: no records")
    return records


def dumps(record: dict) -> str:
    """One JSONL line (no trailing newline), stable key order as given."""
    return json.dumps(record, ensure_ascii=False)


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator:
    """Write to a temporary sibling and rename onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_jsonl(path: str | Path, records: Iterable[dict]) -> None:
    """Write all records atomically."""
    with atomic_write(path) as f:
        for rec in records:
            f.write(dumps(rec) + "\n")


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
