"""Formats: a harmful (or benign look-alike) seed asked the way a fine-tuning task's data reads.

`FORMATS` is the registry, one module per format. A format module defines:
- `TEMPLATES`: template name -> a format string with `{request}` (the seed's text) and, for
  templates listed in `NEEDS_FRENCH`, `{request_fr}` (the seed's French text);
- `REFUSALS`: refusals written for this format (safety data answers harmful items with one);
- `benign_response(template, seed)`: a correct answer for a benign seed in that template, or
  None where no honest answer can be composed (then the pair is not used as training data);
- `benign_extras()`: more benign examples in this format for the safety data (records with
  seed_id, template, prompt, response), such as real programs for `code`.
Templates, refusals and extras are fixed text written for safetygap; none carries harmful
content. Adding a format is one module here and one registry line.
"""

from types import ModuleType

from safetygap.bench.seeds import Seed
from safetygap.errors import UserError
from safetygap.hashing import unit
from safetygap.registry import Registry

FORMATS = Registry(
    "format",
    {
        "plain": "safetygap.bench.formats.plain",
        "summarization": "safetygap.bench.formats.summarization",
        "code": "safetygap.bench.formats.code",
        "translation": "safetygap.bench.formats.translation",
        "classification": "safetygap.bench.formats.classification",
    },
)


def format_module(name: str) -> ModuleType:
    return FORMATS.get(name)


def templates_for(fmt: str, seed: Seed) -> list[str]:
    """The templates of format `fmt` that apply to `seed` (French ones need French text)."""
    module = format_module(fmt)
    return [t for t in module.TEMPLATES if seed.prompt_fr or t not in module.NEEDS_FRENCH]


def wrap(fmt: str, template: str, seed: Seed) -> str:
    """The prompt for `seed` in format `fmt`'s `template`."""
    module = format_module(fmt)
    if template not in module.TEMPLATES:
        raise UserError(f"format {fmt!r} has no template {template!r}")
    return module.TEMPLATES[template].format(request=seed.prompt, request_fr=seed.prompt_fr)


def pick_template(fmt: str, seed: Seed, salt: str = "bench") -> str:
    """One applicable template for (seed, format), chosen by hash: stable and well spread."""
    options = templates_for(fmt, seed)
    return min(options, key=lambda t: (unit(f"{seed.seed_id}|{fmt}|{t}", salt), t))


def refusal(fmt: str, record_id: str) -> str:
    """The refusal a safety record with this id gets (one of the format's, chosen by hash)."""
    options = format_module(fmt).REFUSALS
    return options[int(unit(record_id, "refusal") * len(options))]


def format_of(record: dict) -> str:
    """A bench or safety record's format; files written before the rename call it `task`."""
    return record.get("format") or record.get("task") or "unknown"
