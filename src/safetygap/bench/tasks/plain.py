"""Plain chat format: the request as a user would type it."""

from safetygap.bench.seeds import Seed

TEMPLATES = {
    "bare": "{request}",
    "polite": "Hi! Could you help me with something? {request}",
    "detailed": "{request}\n\nPlease be thorough and specific in your answer.",
}
NEEDS_FRENCH: frozenset[str] = frozenset()


def benign_response(template: str, seed: Seed) -> str | None:
    return seed.answer or None
