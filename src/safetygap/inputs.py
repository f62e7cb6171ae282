"""Checks of command-line input that several commands share. Each raises a UserError; a command
runs them, with its own, through `errors.Checks` before any model work, so that a user hears of
every mistake at once and nothing is written."""

import os
from pathlib import Path

from safetygap.errors import Checks, UserError
from safetygap.lock import check_free


def at_least(option: str, value, low) -> None:
    """`value` (None: not given) is a number >= `low`; NaN is not."""
    if value is not None and not value >= low:
        raise UserError(f"{option} must be >= {low}, got {value}")


def significance(alpha: float) -> None:
    """A test level: strictly between 0 and 1."""
    if not 0 < alpha < 1:
        raise UserError(f"--alpha must be strictly between 0 and 1, got {alpha:g}")


def writable(path: Path, option: str) -> None:
    """The nearest folder of `path` that exists can be written to (nothing is created); a file
    that exists is written over in its own folder."""
    parent = path.absolute()
    if parent.is_file():
        parent = parent.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UserError(f"{option} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{option} {path}: cannot write in {parent} (fix the permissions)")


def out_folder(path: str | Path, option: str = "--out") -> None:
    """An output folder: not an existing file, and writable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{option} {path} is a file, not a folder: give a folder")
    writable(path, option)
    check_free(path)


def out_file(path: str | Path, option: str = "--out") -> None:
    """An output file: not an existing folder, and writable."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{option} {path} is a folder, not a file: give the file's path")
    writable(path, option)
    check_free(path)


def in_file(path: str | Path, what: str = "file") -> None:
    """An input file that exists (a folder is not one)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a {what}")
    if not path.is_file():
        raise UserError(f"{path}: no such {what}")


def in_folder(path: str | Path, what: str = "folder") -> None:
    """An input folder that exists (a file is not one)."""
    path = Path(path)
    if not path.is_dir():
        kind = "a file, not" if path.exists() else "no such"
        raise UserError(f"{path}: {kind} {what}")


def model_and_adapter(model: str, adapter: str | None = None) -> None:
    """A model spec and the adapter given with it: a known spec, an adapter folder PEFT can
    load, and no adapter on an endpoint (it serves its own weights)."""
    from safetygap.models.load import check_adapter
    from safetygap.models.registry import parse_spec

    checks = Checks()
    spec = checks(parse_spec, model)
    if adapter:
        if spec is not None and spec.is_remote:
            checks.add("--adapter needs a local model; an endpoint serves its own weights")
        else:
            checks(check_adapter, adapter)
    checks.done()


def generation(max_new_tokens=None, temperature=None, batch_size=None, concurrency=None) -> None:
    """The generation options of eval, generate and helpfulness (None: not given)."""
    checks = Checks()
    checks(at_least, "--max-new-tokens", max_new_tokens, 1)
    checks(at_least, "--temperature", temperature, 0.0)
    checks(at_least, "--batch-size", batch_size, 1)
    checks(at_least, "--concurrency", concurrency, 1)
    checks.done()
