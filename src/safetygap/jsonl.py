"""JSONL records and files that are never left half-written.

`read_jsonl` is the one reader of user JSONL files: every malformed line (not UTF-8, not JSON,
NaN or an infinite number, a value too deep or too long to parse, an unpaired surrogate, not an
object, a field missing or of the wrong kind) is a UserError naming the file and line.
"""

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from safetygap.errors import UserError

# Field kinds for `read_jsonl(types=...)`: a type, a tuple of types, TEXT, or a frozenset of the
# allowed values. An int is never taken for a bool nor a bool for an int.
TEXT = "text"  # a string with something other than whitespace
ID = (str, int)  # a record id: a string or an integer
_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    dict: "an object",
    list: "a list",
    type(None): "null",
}
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def kind_name(kind) -> str:
    if kind == TEXT:
        return "a non-empty string"
    if isinstance(kind, frozenset):
        names = sorted(str(v) for v in kind if v is not None)
        text = " or ".join(names) if len(names) == 2 else "one of " + ", ".join(names)
        return text + (" (or null)" if None in kind else "")
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_NAMES.get(k, k.__name__) for k in kinds)


def has_kind(value, kind) -> bool:
    """Whether `value` (parsed JSON) is of `kind` (see the field kinds above)."""
    if kind == TEXT:
        return isinstance(value, str) and bool(value.strip())
    if isinstance(kind, frozenset):
        return isinstance(value, str | int | float | bool | None) and value in kind
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):
        return bool in kinds
    if isinstance(value, int) and float in kinds:
        return True
    return isinstance(value, tuple(k for k in kinds if k is not bool))


def wrong_field(record: dict, required: Iterable[str], types: Mapping | None) -> str | None:
    """Why `record` lacks a required field or has one of the wrong kind; None if it is fine."""
    missing = [k for k in required if k not in record]
    if missing:
        return f"missing field(s) {', '.join(missing)}"
    for key, kind in (types or {}).items():
        if key in record and not has_kind(record[key], kind):
            return f"{key} must be {kind_name(kind)}, got {short(record[key])}"
    return None


def short(value, width: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= width else text[: width - 3] + "..."


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    x = float(text)
    if not math.isfinite(x):
        raise ValueError(f"number {text[:20]} is out of range")
    return x


def parse_line(line: str):
    """One JSON value, strict: no NaN or Infinity, no number that overflows a float, and no
    string that cannot be written back as UTF-8. ValueError (with a short reason) otherwise."""
    try:
        value = json.loads(line, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as e:
        raise ValueError(e.msg) from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as e:  # a number too long to convert, NaN, Infinity, 1e999
        raise ValueError(str(e).split(";")[0]) from None
    if _SURROGATE.search(line):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a string holds an unpaired surrogate") from None
    return value


def read_text(path: str | Path, what: str = "file") -> str:
    """The UTF-8 text of a user file (a byte-order mark is tolerated); UserError otherwise."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such {what}")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror})") from None


def lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of JSONL text, split at newlines only: U+2028, U+0085 and the like
    are characters a JSON string may hold, not line ends."""
    for n, line in enumerate(text.split("\n"), 1):
        yield n, line.removesuffix("\r")


def read_jsonl(
    path: str | Path, required: Iterable[str] = (), types: Mapping | None = None
) -> list[dict]:
    """All records of a JSONL file; a clear UserError for a missing, empty or malformed file.

    `required` fields must be there; a field named in `types` must, where present, be of its
    kind (a type, a tuple of types, TEXT or a frozenset of allowed values)."""
    path = Path(path)
    text = read_text(path)
    required = list(required)
    records = []
    for n, line in lines(text):
        if not line.strip():
            continue
        try:
            rec = parse_line(line)
        except ValueError as e:
            raise UserError(f"{path}:{n}: not valid JSON ({e})") from None
        if not isinstance(rec, dict):
            raise UserError(f"{path}:{n}: expected a JSON object, got {type(rec).__name__}")
        wrong = wrong_field(rec, required, types)
        if wrong:
            raise UserError(f"{path}:{n}: {wrong}")
        records.append(rec)
    if not records:
        raise UserError(f"{path}: no records")
    return records


def read_json(path: str | Path, what: str = "JSON file") -> dict:
    """A JSON object from a file; UserError (naming the file and `what` it should be) for
    anything else."""
    path = Path(path)
    text = read_text(path, what)
    try:
        value = parse_line(text)
    except ValueError as e:
        raise UserError(f"{path}: not a valid {what} ({e})") from None
    if not isinstance(value, dict):
        raise UserError(f"{path}: not a valid {what} (it holds {_NAMES[type(value)]})")
    return value


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
        with naming(path), open(tmp, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def naming(path: str | Path) -> Iterator[None]:
    """A disk error raised inside (a full disk, a file-size limit) names `path`: the error of a
    write to an open file names no file, and the user needs to know which one."""
    from safetygap.errors import disk_error

    try:
        yield
    except OSError as e:
        if e.filename is None and disk_error(e):
            e.filename = str(path)
        raise


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
