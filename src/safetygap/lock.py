"""One writer per output: a process holds `.NAME.lock` beside the run folder or file NAME (an
advisory `flock`) while it writes there.

A second process that wants the same output (two evals, two sweeps, an eval into a sweep's stage
folder) is refused at once with one line naming it and the process holding it. The kernel drops
the lock when its holder dies, so a lock file a killed run left behind is simply taken over by
the next run; a run that ends normally removes it. The lock sits beside its output, not in it,
so it is never part of what a run writes (a stage's file list, a folder renamed into place).
Within one process the lock is re-entrant (a sweep stage holds its folder, and the eval it runs
claims the same folder).
Advisory locks hold between processes of one machine (and on network file systems that pass
`flock` through); they do not stop other programs from writing.
"""

import fcntl
import os
import socket
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from safetygap.errors import UserError

_held: dict[Path, TextIO] = {}


def holder() -> str:
    """This process, as the lock file names it: pid, host and sub-command (no other argument:
    they may hold a URL or a path the user would rather not have copied around)."""
    command = " ".join(["safetygap", *sys.argv[1:2]]) if sys.argv[1:2] else "python"
    return f"process {os.getpid()} on {socket.gethostname()} ({command})"


def lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def busy(out: Path, f: TextIO) -> UserError:
    """The error for `out`, held by the process its lock file `f` names."""
    f.seek(0)
    who = f.read().strip() or "another process"
    return UserError(
        f"{out} is being written by {who}: wait until it ends, or choose another --out"
    )


def hold(out: str | Path) -> bool:
    """Hold the output `out` (a folder or a file) for this process until `release`; whether it
    was taken now (False: this process held it already). UserError when another living process
    holds it. Its parent folder is made if missing."""
    out = Path(out).resolve()
    if out in _held:
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    path = lock_path(out)
    while True:
        f = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            error = busy(out, f)
            f.close()
            raise error from None
        try:  # its last holder may have removed the file between our open and our lock
            same = os.fstat(f.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        f.close()
    f.seek(0)
    f.truncate()
    f.write(holder() + "\n")
    f.flush()
    _held[out] = f
    return True


def release(out: str | Path) -> None:
    """Give `out` up (its lock file removed while still held); nothing if not held."""
    out = Path(out).resolve()
    f = _held.pop(out, None)
    if f is None:
        return
    try:
        lock_path(out).unlink(missing_ok=True)
    except OSError:  # a folder made read-only meanwhile: the lock still ends with the process
        pass
    f.close()


def release_all() -> None:
    for out in list(_held):
        release(out)


@contextmanager
def holding(out: str | Path):
    """Hold `out` for the `with` block. What this process takes inside the block (the outputs
    of the work it runs: a sweep stage's adapter, say) is given up with it; what it held before
    (`out` among them) stays held."""
    before = set(_held)
    hold(out)
    try:
        yield
    finally:
        for taken in set(_held) - before:
            release(taken)


def is_lock(path: Path) -> bool:
    """Whether `path` is a lock file (`.NAME.lock`), which no record lists."""
    return path.name.startswith(".") and path.name.endswith(".lock")


def check_free(out: str | Path) -> None:
    """UserError when another living process holds `out`; nothing is written (a validation
    pass runs it with the rest)."""
    out = Path(out).resolve()
    path = lock_path(out)
    if out in _held or not path.is_file():
        return
    try:
        with open(path, encoding="utf-8") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raise busy(out, f) from None
    except OSError:  # gone meanwhile, or unreadable: `hold` decides
        return
