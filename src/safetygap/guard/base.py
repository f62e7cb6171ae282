"""What every guard does: flag a prompt (input mode) or a prompt and its response (output mode).

A guard answers a different question from a judge. A judge asks whether the model went along
with a request (`answered` / `refused`); a guard asks whether a message breaks a policy and
should be blocked (`flagged` / `passed`). A guard's "safe" is never read as a refusal: a benign
request answered in full is safe too. A reply that says neither is `unparsed`, counted on its
own and never read as safe.
"""

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Protocol

MODES = ("input", "output")
VERDICTS = ("flagged", "passed", "unparsed")


@dataclass(frozen=True)
class GuardVerdict:
    verdict: str  # flagged | passed | unparsed
    score: float | None = None  # P(flagged) where the guard has one
    categories: tuple[str, ...] = ()  # hazard codes or topics, where the guard names them
    reply: str | None = None  # a model guard's reply (its start), kept to audit the parsing


class Guard(Protocol):
    name: str
    modes: tuple[str, ...]  # the modes it can work in

    def check(self, items: list[dict], mode: str) -> Iterator[tuple[str, GuardVerdict]]:
        """Yield (id, verdict) for items with `id` and `prompt` (and `response` in output
        mode), in any order."""
        ...


class ModelGuard:
    """A guard that asks a model (any generation backend) and parses its reply."""

    kind = ""
    modes = ("input", "output")
    needs_model = True
    max_new_tokens = 16

    @classmethod
    def from_spec(cls, arg: str, **options) -> "ModelGuard":
        return cls(arg, **{k: v for k, v in options.items() if k in ("batch_size", "concurrency")})

    def __init__(self, model: str, batch_size: int = 16, concurrency: int = 8):
        from safetygap.generate.base import load_backend

        self.name = f"{self.kind}:{model}"
        self.backend = load_backend(model, batch_size=batch_size, concurrency=concurrency)

    def request(self, item: dict, mode: str):
        """The generation Request that asks about one item."""
        raise NotImplementedError

    def parse(self, reply: str) -> GuardVerdict:
        raise NotImplementedError

    def check(self, items, mode):
        from safetygap.generate.base import Sampling

        reqs = [self.request(it, mode) for it in items]
        for c in self.backend.generate(reqs, Sampling(max_new_tokens=self.max_new_tokens)):
            yield c.id, replace(self.parse(c.response), reply=c.response[:200])
