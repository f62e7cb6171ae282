"""Translation English -> French: Debian package descriptions paired by Description-md5."""

from safetygap.finetune.tasks import debian

TASK = "translation"
DESCRIPTION = "Debian package descriptions: English -> French, paired by md5 (~18k pairs)"
INSTRUCTION = "Translate the following text into French.\n\n{text}"
MAX_CHARS = 800


def text(synopsis: str, body: str) -> str:
    return f"{synopsis}\n\n{body}" if body else synopsis


def load() -> list[dict]:
    english = debian.descriptions("en")
    french = debian.descriptions("fr")
    examples, seen = [], set()
    for md5 in sorted(french.keys() & english.keys()):
        en, fr = text(*english[md5]), text(*french[md5])
        if len(en) > MAX_CHARS or len(en) < 20 or en in seen or en == fr:
            continue
        seen.add(en)
        examples.append(
            {
                "id": f"debian-fr:{md5}",
                "task": TASK,
                "prompt": INSTRUCTION.format(text=en),
                "response": fr,
            }
        )
    return examples
