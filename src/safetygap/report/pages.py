"""Results pages (docs/results/*.md): what a study script prints, kept as a page.

A study script runs inside `results_page(...)`: everything it prints goes to the console and to
the page, under a header naming the command that wrote it, when, and on what machine. The page
is written only when the script finishes (to a temporary name, then renamed), so a failed or
stopped run leaves the previous page as it was. Nothing on a page is typed by hand: re-running
the script rewrites it.
"""

import contextlib
import io
import os
import platform
import shlex
import sys
import time
from pathlib import Path

from safetygap.jsonl import atomic_write


class Tee(io.TextIOBase):
    """Writes to the console and keeps a copy."""

    def __init__(self, console):
        self.console, self.copy = console, io.StringIO()

    def write(self, text: str) -> int:
        self.console.write(text)
        return self.copy.write(text)

    def flush(self) -> None:
        self.console.flush()


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"


def header(title: str, intro: str, command: str) -> str:
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    return (
        f"# {title}\n\n"
        f"Written by `{command}` on {when} ({machine()}); re-running it rewrites this page.\n\n"
        + (f"{intro.strip()}\n\n" if intro.strip() else "")
    )


@contextlib.contextmanager
def results_page(
    path: str | Path, title: str, intro: str = "", command: str | None = None, fenced=False
):
    """Tee stdout into the page at `path`; write it when the block ends without an error.
    `fenced`: the output is plain text (kept in a code block), not Markdown."""
    if command is None:
        script = Path(sys.argv[0]).resolve()
        with contextlib.suppress(ValueError):
            script = script.relative_to(Path.cwd())
        command = shlex.join([".venv/bin/python", script.as_posix(), *sys.argv[1:]])
    tee = Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        yield Path(path)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(Path(path)) as f:
        body = tee.copy.getvalue().strip()
        f.write(header(title, intro, command) + (f"```\n{body}\n```" if fenced else body) + "\n")
