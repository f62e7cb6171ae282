"""Item-level resumable JSONL outputs: work goes to `FILE.partial`; FILE appears when complete."""

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from safetygap.errors import UserError
from safetygap.jsonl import (
    ID,
    atomic_write,
    dumps,
    has_kind,
    naming,
    parse_line,
    read_json,
    wrong_field,
)
from safetygap.lock import hold, holding


def partial_path(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def load_done(path: Path, types: Mapping | None = None) -> dict[str, str]:
    """id -> line of the whole records in `path`. A line that is not one (the torn last line of
    a killed run, bytes that are not UTF-8, a record lacking a field of `types` or holding one
    of another kind than its own, see `jsonl.read_jsonl`) is dropped, so that its item is done
    again. A kind that admits None may be left out."""
    done = {}
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a JSONL file")
    if not path.exists():
        return done
    required = [k for k, kind in (types or {}).items() if not has_kind(None, kind)]
    for raw in path.read_bytes().split(b"\n"):
        try:
            line = raw.decode("utf-8").removesuffix("\r")
            rec = parse_line(line)
        except ValueError:  # UnicodeDecodeError too
            continue
        if not isinstance(rec, dict) or not has_kind(rec.get("id"), ID):
            continue
        if wrong_field(rec, required, types):
            continue
        done[str(rec["id"])] = line
    return done


def in_order(lines: dict[str, str], ids: list[str]) -> str:
    """A finished file's text: the lines of `ids` in that order, then any others by id."""
    return "".join(lines[i] + "\n" for i in ids + sorted(set(lines) - set(ids)))


def is_finished(out: Path, ids: list[str], types: Mapping | None = None) -> bool:
    """Whether `out` holds a whole record for every id and nothing else: exactly what
    `resumable` writes. A damaged line anywhere (a record of the wrong shape, a stray one) means
    it is not, so that it is rewritten clean."""
    if not out.is_file():
        return False
    lines = load_done(out, types)
    return set(ids) <= set(lines) and out.read_bytes() == in_order(lines, ids).encode("utf-8")


def resumable(
    out: str | Path,
    ids: list[str],
    produce: Callable[[list[str]], Iterator[dict]],
    label: str,
    progress: bool = True,
    types: Mapping | None = None,
) -> tuple[int, int]:
    """Produce the records `out` lacks; return (new, total).

    Records go to `out.partial` one line at a time (flushed), so a killed run loses at most the
    work in flight and a re-run produces only the missing ids. `out` is written (ordered like
    `ids`) and the partial file removed only once every id is there. A record is done when it
    has an id and the fields of `types` (see `jsonl.read_jsonl`); any other line is redone, and
    a finished `out` holding such a line is written again without it.
    """
    out = Path(out)
    with holding(out):
        return produce_missing(out, ids, produce, label, progress, types)


def produce_missing(out: Path, ids, produce, label, progress, types) -> tuple[int, int]:
    """`resumable`'s work, with `out` held."""
    part = partial_path(out)
    done = load_done(out, types)
    done.update(load_done(part, types))
    wanted = set(ids)
    todo = [i for i in ids if i not in done]
    if not todo and is_finished(out, ids, types):
        return 0, len(ids)
    with atomic_write(part) as f:  # rewritten clean (a torn last line dropped), or left as it is
        f.writelines(done[rid] + "\n" for rid in done)
    with naming(part), open(part, "a", encoding="utf-8") as f:
        cols = [
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[rate]}"),
        ]
        with Progress(*cols, disable=not progress) as bar:
            task = bar.add_task(label, total=len(todo), rate="")
            t0, n_tok = time.perf_counter(), 0
            for rec in produce(todo) if todo else ():
                f.write(dumps(rec) + "\n")
                f.flush()
                n_tok += rec.get("n_new_tokens") or 0
                rate = f"{n_tok / max(time.perf_counter() - t0, 1e-9):.1f} tok/s" if n_tok else ""
                bar.update(task, advance=1, rate=rate)
        os.fsync(f.fileno())
    lines = load_done(part, types)
    missing = wanted - set(lines)
    if missing:
        raise UserError(f"{label}: no result for {len(missing)} item(s); re-run to retry")
    with atomic_write(out) as f:
        f.write(in_order(lines, ids))
    part.unlink()
    return len(todo), len(ids)


def same(old, new) -> bool:
    """Whether a setting kept by a run and today's are the same: equal, or two paths to one
    existing file or folder (a search's trials reach the shared stages through their own
    `stages` links, so a trial killed and asked again names its model by another path)."""
    if old == new:
        return True
    if not (isinstance(old, str) and isinstance(new, str) and old and new):
        return False
    try:
        a, b = Path(old), Path(new)
        return a.exists() and b.exists() and a.resolve() == b.resolve()
    except (OSError, ValueError):  # not a path: too long, a NUL byte
        return False


def claim_run(out: Path, settings: dict, ignore=(), redo=(), inputs=(), upgrade=None) -> list[str]:
    """Make `out` a run folder of these settings, writing `out/settings.json`, and hold it for
    this process (`lock.hold`): see `check_claim` for when it may, and what is returned."""
    hold(out)
    changed = check_claim(out, settings, ignore, redo, inputs, upgrade)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(out / "settings.json") as f:
        json.dump(settings, f, indent=1)
    return changed


def check_claim(
    out: Path, settings: dict, ignore=(), redo=(), inputs=(), upgrade=None
) -> list[str]:
    """Whether `out` may become a run folder of these settings; nothing is written.

    A folder already holding a run may continue it only when its settings agree, keys in
    `ignore` aside; keys in `redo` may differ too, and those that do are returned so the caller
    can redo what depends on them. Any other difference is a UserError. A folder holding
    settings but no work yet (only the copies of its inputs named in `inputs`: a run that failed
    before its first answer, say on an adapter that does not fit the model) is taken over with
    the new settings. `upgrade`, if given, rewrites the settings found in place into today's
    spelling (old names of the same things) before they are compared.
    """
    out = Path(out)
    path = out / "settings.json"
    started = out.is_dir() and any(p.name not in {"settings.json", *inputs} for p in out.iterdir())
    if not (path.exists() and started):
        return []
    old = read_json(path, "run settings file")
    if upgrade is not None:
        upgrade(old)
    changed = [k for k in settings if k not in ignore and not same(old.get(k), settings[k])]
    if not set(changed) <= set(redo):
        raise UserError(
            f"{out} holds a run with other settings ({', '.join(changed)}); choose another --out"
        )
    return changed
