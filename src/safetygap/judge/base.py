"""What every judge does: read (prompt, response) pairs, give a verdict (and a score)."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

VERDICTS = ("answered", "refused", "unparsed")


@dataclass(frozen=True)
class Verdict:
    verdict: str  # answered | refused | unparsed
    score: float | None = None  # P(answered) where the judge has one


class Judge(Protocol):
    name: str

    def judge(self, items: list[dict]) -> Iterator[tuple[str, Verdict]]:
        """Yield (id, verdict) for items with `id`, `prompt` and `response`, in any order."""
        ...
