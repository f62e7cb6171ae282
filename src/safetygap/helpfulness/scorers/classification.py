"""Classification: accuracy and macro-F1 over the task's label set, and the share of answers
that name no label.

`parse_label` reads a free-text answer: the label named first, as a whole word, ignoring case
("Sentiment: Positive." -> positive; "positive, not negative" -> positive); an answer that
names none gets no label and counts as wrong. The label set is the set of reference answers of
the task's examples.
"""

import re

import numpy as np

from safetygap.errors import UserError
from safetygap.helpfulness.scorers import Metric, mean

MAX_NEW_TOKENS = 16
MAX_LABELS = 20


def parse_label(answer: str, labels: list[str]) -> str | None:
    """The label the answer names first (whole word, any case), or None."""
    best = None
    for label in labels:
        m = re.search(rf"(?<!\w){re.escape(label)}(?!\w)", answer, flags=re.IGNORECASE)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), label)
    return best[1] if best else None


def macro_f1(sums) -> float:
    """Macro-F1 from a summed one-hot confusion matrix (k gold labels x k + 1 predictions, the
    last being "no label"), as scikit-learn's f1_score(average="macro", labels=the k labels)
    computes it: a class with no gold and no predicted item scores 0."""
    sums = np.asarray(sums, dtype=float)
    k = int(round((-1 + (1 + 4 * len(sums)) ** 0.5) / 2))
    m = sums.reshape(k, k + 1)
    tp = np.diag(m[:, :k])
    fp = m[:, :k].sum(axis=0) - tp
    fn = m.sum(axis=1) - tp
    denom = 2 * tp + fp + fn
    return float(np.mean(np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)))


MAIN = "accuracy"
METRICS = [
    Metric("accuracy", mean, proportion=True),
    Metric("macro_f1", macro_f1),
    Metric("no_label", mean, proportion=True),
]


def items(examples: list[dict], limit: int | None = None) -> list[dict]:
    """The first `limit` items, each carrying the label set: the distinct reference answers of
    all the held-out examples."""
    labels = sorted({e["response"].strip() for e in examples})
    if not 2 <= len(labels) <= MAX_LABELS:
        raise UserError(
            f"classification needs 2 to {MAX_LABELS} distinct reference labels; "
            f"this task's held-out examples have {len(labels)}"
        )
    return [
        {"id": e["id"], "prompt": e["prompt"], "reference": e["response"].strip(), "labels": labels}
        for e in examples[:limit]
    ]


def score(item: dict, response: str) -> dict:
    labels = item["labels"]
    predicted = parse_label(response, labels)
    cell = np.zeros((len(labels), len(labels) + 1))
    cell[labels.index(item["reference"]), labels.index(predicted) if predicted else -1] = 1
    return {
        "stats": {
            "accuracy": [float(predicted == item["reference"]), 1.0],
            "macro_f1": cell.ravel().tolist(),
            "no_label": [float(predicted is None), 1.0],
        },
        "predicted": predicted,
    }
