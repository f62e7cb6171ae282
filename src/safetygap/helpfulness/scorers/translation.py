"""Translation: chrF++ and BLEU (sacrebleu's defaults: chrF with word bigrams, BLEU with the 13a
tokenizer), corpus-level, in both directions: the trained one (English -> French) and back,
where the reference of one is the source of the other.

Each item keeps sacrebleu's sufficient statistics, so corpus scores, their bootstrap intervals
and paired differences are all computed from the same per-item numbers.
"""

from functools import cache

from safetygap.errors import UserError
from safetygap.helpfulness.scorers import Metric

MAX_NEW_TOKENS = 192
DIRECTIONS = {"en-fr": "French", "fr-en": "English"}
INSTRUCTION = "Translate the following text into {language}.\n\n{text}"


@cache
def _metric(name: str):
    from sacrebleu.metrics import BLEU, CHRF

    return CHRF(word_order=2) if name == "chrf++" else BLEU()


def _aggregate(name: str):
    def aggregate(sums) -> float:
        stats = [int(round(x)) for x in sums] if name == "bleu" else list(sums)
        return float(_metric(name)._compute_score_from_stats(stats).score)

    return aggregate


MAIN = "chrf++:en-fr"
METRICS = [
    Metric(f"{name}:{d}", _aggregate(name), scale="0-100")
    for d in DIRECTIONS
    for name in ("chrf++", "bleu")
]


def source_text(example: dict) -> str:
    """The English text of a translation example (its prompt after the instruction line)."""
    parts = example["prompt"].split("\n\n", 1)
    if len(parts) != 2 or not parts[1].strip():
        raise UserError(f"translation example {example['id']}: no text after the instruction")
    return parts[1]


def items(examples: list[dict], limit: int | None = None) -> list[dict]:
    """Both directions of the first `limit` examples."""
    out = []
    for e in examples[:limit]:
        english, french = source_text(e), e["response"]
        for direction, (source, reference) in {
            "en-fr": (english, french),
            "fr-en": (french, english),
        }.items():
            prompt = INSTRUCTION.format(language=DIRECTIONS[direction], text=source)
            out.append(
                {
                    "id": f"{e['id']}|{direction}",
                    "prompt": prompt,
                    "reference": reference,
                    "direction": direction,
                }
            )
    return out


def score(item: dict, response: str) -> dict:
    d = item["direction"]
    stats = {}
    for name in ("chrf++", "bleu"):
        row = _metric(name)._extract_corpus_statistics([response.strip()], [[item["reference"]]])
        stats[f"{name}:{d}"] = [float(x) for x in row[0]]
    return {"stats": stats}
