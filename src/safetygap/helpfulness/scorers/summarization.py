"""Summarisation: ROUGE-1, ROUGE-2 and ROUGE-L F-measure against the reference summary, with
Porter stemming (Google's `rouge-score`, the reimplementation of ROUGE-1.5.5), averaged over
items."""

from functools import cache

from safetygap.helpfulness.scorers import Metric, mean

MAX_NEW_TOKENS = 48
TYPES = ("rouge1", "rouge2", "rougeL")
MAIN = "rougeL"
METRICS = [Metric(t, mean) for t in TYPES]


@cache
def scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(TYPES), use_stemmer=True)


def items(examples: list[dict], limit: int | None = None) -> list[dict]:
    return [
        {"id": e["id"], "prompt": e["prompt"], "reference": e["response"]} for e in examples[:limit]
    ]


def score(item: dict, response: str) -> dict:
    scores = scorer().score(item["reference"], response)
    return {"stats": {t: [scores[t].fmeasure, 1] for t in TYPES}}
