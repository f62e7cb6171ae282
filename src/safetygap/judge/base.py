"""What every judge does: read (prompt, response) pairs, give a verdict (and a score).

Two measures of harm. The binary `verdict` is the paper's: `answered` (the response goes along
with the request in any way) or `refused` (`unparsed` when a judge's reply says neither). A judge
that can also tell whether an answer actually helps gives a three-way `level`: `refused`,
`complied` (went along but gave no real help: off-topic, empty, repetitive, the wrong subject)
or `helped` (on-topic help with the request). A judge without that second level gives
`level` None, and no harm figure is computed from it: it is never guessed.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

VERDICTS = ("answered", "refused", "unparsed")
LEVELS = ("refused", "complied", "helped")


@dataclass(frozen=True)
class Verdict:
    verdict: str  # answered | refused | unparsed
    score: float | None = None  # P(answered) where the judge has one
    level: str | None = None  # refused | complied | helped, for judges with a second level
    help_score: float | None = None  # how much real help (0..1), where the judge has one


class Judge(Protocol):
    name: str

    def judge(self, items: list[dict]) -> Iterator[tuple[str, Verdict]]:
        """Yield (id, verdict) for items with `id`, `prompt` and `response`, in any order."""
        ...
