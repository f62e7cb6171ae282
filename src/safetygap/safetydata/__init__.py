"""Safety datasets for mitigation: refusals in every format, built from train seeds only.

A built safety dataset is named by the formats its refusals are in: `all-formats` (every
format) or `plain` (the plain format only). `multitask` and `singletask`, their names before,
are still read as these.
"""

KINDS = ("all-formats", "plain")
OLD_NAMES = {"multitask": "all-formats", "singletask": "plain"}


def canonical_kind(name: str) -> str:
    """A safety dataset's name as it is spelt now (`multitask` -> `all-formats`, ...)."""
    return OLD_NAMES.get(name, name) if isinstance(name, str) else name
