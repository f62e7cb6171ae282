"""Guards: the registry. A guard spec is a name, optionally `name:ARG`.

- `keyword`: a blocklist of harmful topics (the cheap baseline);
- `classifier[:HEAD]`: a prompt-harm classifier on MiniLM embeddings; the default head is
  trained on plain-format requests only, `classifier:all-formats` on every format;
- `llamaguard:MODEL_SPEC`: Llama Guard 3's prompt format and hazard categories, sent to any
  backend serving a Llama Guard model;
- `llm:MODEL_SPEC`: a written policy prompt sent to any chat model.

A guard class has `from_spec(arg, **options)`, `needs_model` (its ARG is a model spec),
`modes` and `check(items, mode)`; adding one is one module and one registry line.
"""

from safetygap.errors import UserError
from safetygap.guard.base import MODES, Guard, GuardVerdict
from safetygap.registry import Registry

GUARDS = Registry(
    "guard",
    {
        "keyword": "safetygap.guard.keyword:KeywordGuard",
        "classifier": "safetygap.guard.classifier:ClassifierGuard",
        "llamaguard": "safetygap.guard.llamaguard:LlamaGuard",
        "llm": "safetygap.guard.llm:PolicyGuard",
    },
)
GUARD_HELP = "keyword | classifier[:HEAD] | llamaguard:MODEL_SPEC | llm:MODEL_SPEC"


def canonical_guard_spec(spec: str) -> str:
    """A guard spec as it is spelt now: `classifier:multitask` -> `classifier:all-formats`."""
    name, _, arg = spec.partition(":")
    if name != "classifier" or not arg:
        return spec
    from safetygap.guard.classifier import canonical_head

    return f"{name}:{canonical_head(arg)}"


def check_guard_spec(spec: str, mode: str | None = None) -> tuple[str, str]:
    """(name, arg) of a guard spec; UserError for an unknown name, a missing model, or a mode
    the guard cannot work in."""
    name, _, arg = spec.partition(":")
    if name not in GUARDS:
        raise UserError(f"unknown guard {spec!r}: choose from {', '.join(GUARDS)} (name[:ARG])")
    cls = GUARDS.get(name)
    if cls.needs_model:
        if not arg:
            raise UserError(f"guard {name} needs a model: {name}:MODEL_SPEC")
        from safetygap.models.registry import parse_spec

        parse_spec(arg)
    if mode is not None and mode not in cls.modes:
        raise UserError(
            f"guard {name} works in {' and '.join(cls.modes)} mode only, not {mode}: "
            f"choose --mode {cls.modes[0]} or another guard"
        )
    return name, arg


def check_guard(spec: str, mode: str | None = None) -> None:
    """`check_guard_spec`, and a classifier's head read (cheap), so that a missing or broken
    head is told before any work."""
    name, _ = check_guard_spec(spec, mode)
    if name == "classifier":
        load_guard(spec)


def guard_fingerprint(spec: str) -> str | None:
    """sha256 of the head file a `classifier[:HEAD]` guard decides with (None for others)."""
    name, arg = check_guard_spec(spec)
    if name != "classifier":
        return None
    from safetygap.guard.classifier import head_path
    from safetygap.jsonl import sha256_file

    path = head_path(arg or None)
    return sha256_file(path) if path.is_file() else None


def load_guard(spec: str, **options) -> Guard:
    name, arg = check_guard_spec(spec)
    return GUARDS.get(name).from_spec(arg, **options)


__all__ = [
    "GUARDS",
    "GUARD_HELP",
    "MODES",
    "Guard",
    "GuardVerdict",
    "canonical_guard_spec",
    "check_guard",
    "check_guard_spec",
]
