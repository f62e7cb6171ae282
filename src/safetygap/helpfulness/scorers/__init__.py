"""How each fine-tuning task's skill is scored: one module per task kind, one registry line each.

A scorer module defines:
- `MAX_NEW_TOKENS`: the default generation length for its answers;
- `items(examples, limit) -> list[dict]`: the items to answer (`id`, `prompt`, and what scoring
  needs) from the task's held-out examples, the first `limit` of them (the code scorer uses
  HumanEval's problems, or a problems file, instead);
- `score(item, response) -> dict`: `stats`, one item's sufficient statistics (a map from metric
  name to a list of numbers, see `Metric`), and anything else worth keeping per item;
- `METRICS`: the metrics, in report order;
- `MAIN`: the one metric that stands for the skill in tables and plots.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from safetygap.registry import Registry

SCORERS = Registry(
    "task kind",
    {
        "summarization": "safetygap.helpfulness.scorers.summarization",
        "translation": "safetygap.helpfulness.scorers.translation",
        "code": "safetygap.helpfulness.scorers.code",
        "classification": "safetygap.helpfulness.scorers.classification",
    },
)


@dataclass(frozen=True)
class Metric:
    """A metric computed from per-item sufficient statistics.

    `aggregate` maps the column sums of the items' statistics to the metric's value, so one
    definition gives the corpus value, its bootstrap interval and paired differences. A
    `proportion` metric's statistics are [success (0 or 1), 1]: its interval is Wilson's and its
    paired test McNemar's exact test; the others get a percentile bootstrap over items.
    """

    name: str
    aggregate: Callable[[np.ndarray], float]
    proportion: bool = False
    scale: str = "0-1"


def mean(sums: np.ndarray) -> float:
    """The mean of per-item values whose statistics are [value, 1]."""
    return float(sums[0] / sums[1]) if sums[1] else float("nan")
