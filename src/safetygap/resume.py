"""Item-level resumable JSONL outputs: work goes to `FILE.partial`; FILE appears when complete."""

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from safetygap.errors import UserError
from safetygap.jsonl import atomic_write, dumps


def partial_path(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def load_done(path: Path) -> dict[str, str]:
    """id -> line of the complete records in `path`; a torn last line is dropped."""
    done = {}
    if not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # the line being written when the run was killed
        if isinstance(rec, dict) and "id" in rec:
            done[str(rec["id"])] = line
    return done


def resumable(
    out: str | Path,
    ids: list[str],
    produce: Callable[[list[str]], Iterator[dict]],
    label: str,
    progress: bool = True,
) -> tuple[int, int]:
    """Produce the records `out` lacks; return (new, total).

    Records go to `out.partial` one line at a time (flushed), so a killed run loses at most the
    work in flight and a re-run produces only the missing ids. `out` is written (ordered like
    `ids`) and the partial file removed only once every id is there.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = partial_path(out)
    done = load_done(out)
    done.update(load_done(part))
    wanted = set(ids)
    todo = [i for i in ids if i not in done]
    if not todo and out.exists() and set(load_done(out)) >= wanted:
        return 0, len(ids)
    with open(part, "w", encoding="utf-8") as f:  # rewrite clean: drops a torn last line
        for rid in done:
            f.write(done[rid] + "\n")
        f.flush()
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
            for rec in produce(todo):
                f.write(dumps(rec) + "\n")
                f.flush()
                n_tok += rec.get("n_new_tokens") or 0
                rate = f"{n_tok / max(time.perf_counter() - t0, 1e-9):.1f} tok/s" if n_tok else ""
                bar.update(task, advance=1, rate=rate)
        os.fsync(f.fileno())
    lines = load_done(part)
    missing = wanted - set(lines)
    if missing:
        raise UserError(f"{label}: no result for {len(missing)} item(s); re-run to retry")
    order = ids + sorted(set(lines) - wanted)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text("".join(lines[i] + "\n" for i in order), encoding="utf-8")
    os.replace(tmp, out)
    part.unlink()
    return len(todo), len(ids)


def claim_run(out: Path, settings: dict, ignore=(), redo=()) -> list[str]:
    """Make `out` a run folder of these settings, writing `out/settings.json`.

    A folder already holding a run may continue it only when its settings agree, keys in
    `ignore` aside; keys in `redo` may differ too, and those that do are returned so the caller
    can redo what depends on them. Any other difference is a UserError, with nothing written.
    """
    path = out / "settings.json"
    changed = []
    if path.exists():
        old = json.loads(path.read_text())
        changed = [k for k in settings if k not in ignore and old.get(k) != settings[k]]
        if not set(changed) <= set(redo):
            raise UserError(
                f"{out} holds a run with other settings ({', '.join(changed)}); "
                "choose another --out"
            )
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        json.dump(settings, f, indent=1)
    return changed
