"""Summarisation: a Debian package description's body -> its one-line synopsis."""

from safetygap.finetune.tasks import debian

TASK = "summarization"
DESCRIPTION = "Debian package descriptions: paragraphs -> one-line synopsis (~44k pairs)"
INSTRUCTION = "Summarise the following software description in one short line.\n\n{text}"
MIN_CHARS, MAX_CHARS = 200, 1200


def load() -> list[dict]:
    examples = []
    for md5, (synopsis, body) in sorted(debian.descriptions("en").items()):
        if MIN_CHARS <= len(body) <= MAX_CHARS and len(synopsis) >= 10:
            examples.append(
                {
                    "id": f"debian-en:{md5}",
                    "task": TASK,
                    "prompt": INSTRUCTION.format(text=body),
                    "response": synopsis[0].upper() + synopsis[1:],
                }
            )
    # One example per distinct text: many packages share a body (e.g. -dev/-doc splits).
    seen, unique = set(), []
    for e in examples:
        if e["prompt"] not in seen:
            seen.add(e["prompt"])
            unique.append(e)
    return unique
