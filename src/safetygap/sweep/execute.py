"""What both executors (local, `run.py`; Ray, `ray_executor.py`) share: one stage run unless
it is done, the done-and-intact check of its folder, and the progress line.
"""

import json
import shutil
import time
import traceback
from pathlib import Path

from safetygap.errors import UserError, disk_error
from safetygap.jsonl import atomic_write, sha256_file
from safetygap.lock import holding, is_lock
from safetygap.sweep.plan import Stage

RECORD = "stage.json"


def stage_files(folder: Path) -> dict[str, list]:
    """relative path -> [size, sha256] of every file in a finished stage folder."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != RECORD and not is_lock(path):
            files[path.relative_to(folder).as_posix()] = [path.stat().st_size, sha256_file(path)]
    return files


def is_done(stage: Stage, folder: Path, log=print) -> bool:
    """True when `folder` holds this stage, finished and intact. A record that does not match
    its files means a corrupt entry: the folder is removed, so the stage runs again."""
    record = folder / RECORD
    if not record.is_file():
        return False
    try:
        done = json.loads(record.read_text())
        files = done["files"]
        intact = done["key"] == stage.key and all(
            (folder / rel).is_file()
            and (folder / rel).stat().st_size == size
            and sha256_file(folder / rel) == digest
            for rel, (size, digest) in files.items()
        )
    except (OSError, ValueError, KeyError, TypeError):
        intact = False
    if not intact:
        log(f"{stage.name}: the cached result in {folder} is corrupt; recomputing it")
        shutil.rmtree(folder)
    return intact


def run_stage(stage: Stage, root: Path, folders: dict[str, str], log=print, progress=True) -> dict:
    """Run one stage unless it is done; the outcome for the index (status, seconds, error).
    `folders` maps every stage name to its folder name."""
    from safetygap.sweep.stages import RUN

    folder = root / "stages" / stage.folder_name
    if is_done(stage, folder, log):
        return {"status": "cached", "seconds": 0.0}
    inputs = {role: root / "stages" / folders[dep] for role, dep in stage_deps(stage)}
    t0 = time.perf_counter()
    try:
        with holding(folder):  # another process writing this stage: it fails here, untouched
            RUN[stage.kind](stage.params, inputs, folder, log=log, progress=progress)
            record = {
                "key": stage.key,
                "kind": stage.kind,
                "name": stage.name,
                "params": stage.params,
                "deps": stage.deps,
                "seconds": round(time.perf_counter() - t0, 1),
                "files": stage_files(folder),
            }
            with atomic_write(folder / RECORD) as f:
                json.dump(record, f, indent=1)
    except (KeyboardInterrupt, SystemExit):
        raise
    except OSError as e:
        if disk_error(e):  # a full disk or a read-only folder stops the sweep: nothing else
            raise  # could be written either (the command says so in one line)
        return failed(stage, folder, e, t0)
    except Exception as e:  # a failed stage is reported; the others go on
        return failed(stage, folder, e, t0)
    return {"status": "done", "seconds": record["seconds"]}


def failed(stage: Stage, folder: Path, e: Exception, t0: float) -> dict:
    """The outcome of a stage that raised; the traceback of an unexpected error is kept."""
    line = str(e).splitlines()[0] if str(e) else type(e).__name__
    if not isinstance(e, UserError):
        line = f"{type(e).__name__}: {line}"
        (folder.parent / f"{stage.folder_name}.error.txt").write_text(traceback.format_exc())
    return {"status": "failed", "seconds": round(time.perf_counter() - t0, 1), "error": line}


def stage_deps(stage: Stage) -> list[tuple[str, str]]:
    return sorted(stage.deps.items())


def clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


def progress_line(index, total: int) -> str:
    """`N/total done, ...` from a sweep's index (`run.Index`: its counts and elapsed time)."""
    c = index.counts()
    finished = c.get("done", 0) + c.get("cached", 0)
    parts = [f"{finished}/{total} done"]
    if c.get("cached"):
        parts.append(f"{c['cached']} cached")
    for status in ("failed", "skipped"):
        if c.get(status):
            parts.append(f"{c[status]} {status}")
    left = c.get("pending", 0) + c.get("running", 0)
    parts.append(f"{left} left, {clock(index.elapsed())} so far")
    return ", ".join(parts)
