"""One registry shape for every plug-in kind (seed sources, formats, fine-tuning tasks, judges,
generation backends, ...).

A registry maps a name to where its plug-in lives: `"package.module"` (the module is the
plug-in) or `"package.module:ATTR"` (an object in it). The target is imported on first use, so
listing names or checking options imports nothing heavy. Adding a plug-in is one file and one
line in its kind's registry, as in lm-evaluation-harness.
"""

import importlib
from collections.abc import Iterable, Iterator

from safetygap.errors import UserError


class Registry:
    def __init__(self, kind: str, entries: dict[str, str]):
        self.kind = kind
        self._entries = dict(entries)
        self._loaded: dict[str, object] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return list(self._entries)

    def add(self, name: str, target: str) -> None:
        """Register one more plug-in (a user's own, or a test's)."""
        self._entries[name] = target
        self._loaded.pop(name, None)

    def get(self, name: str):
        """The plug-in registered as `name`; a one-line UserError naming the choices if none."""
        if name not in self._entries:
            raise UserError(f"unknown {self.kind} {name!r}: choose from {', '.join(self)}")
        if name not in self._loaded:
            module, _, attr = self._entries[name].partition(":")
            obj = importlib.import_module(module)
            self._loaded[name] = getattr(obj, attr) if attr else obj
        return self._loaded[name]

    __getitem__ = get

    def items(self) -> Iterator[tuple[str, object]]:
        for name in self._entries:
            yield name, self.get(name)

    def parse(self, values: Iterable[str] | str | None, extra: Iterable[str] = ()) -> list[str]:
        """Names from options given comma-separated and/or repeated, checked and de-duplicated
        in the order given; `extra` names are accepted too (such as `none`)."""
        if isinstance(values, str):
            values = [values]
        allowed = [*self._entries, *extra]
        names: list[str] = []
        for value in values or ():
            for name in value.split(","):
                name = name.strip()
                if not name:
                    continue
                if name not in allowed:
                    raise UserError(
                        f"unknown {self.kind} {name!r}: choose from {', '.join(allowed)}"
                    )
                if name not in names:
                    names.append(name)
        return names


def split_names(values: Iterable[str] | str | None) -> list[str]:
    """Items of a list option given comma-separated and/or repeated (no registry check)."""
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values or ():
        for item in value.split(","):
            if item.strip() and item.strip() not in out:
                out.append(item.strip())
    return out
