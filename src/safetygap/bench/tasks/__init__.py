"""Task wrappers: a harmful (or benign look-alike) seed asked in the format of a fine-tuning task.

`TASKS` is the registry, one module per task. A task module defines:
- `TEMPLATES`: template name -> a format string with `{request}` (the seed's text) and, for
  templates listed in `NEEDS_FRENCH`, `{request_fr}` (the seed's French text);
- `benign_response(template, seed)`: a correct answer for a benign seed in that format, or
  None where no honest answer can be composed (then the pair is not used as training data).
Templates and filler are fixed text written for safetygap; none carries harmful content.
"""

from types import ModuleType

from safetygap.bench.seeds import Seed
from safetygap.bench.split import unit
from safetygap.bench.tasks import classification, code, plain, summarization, translation
from safetygap.errors import UserError

TASKS: dict[str, ModuleType] = {
    "plain": plain,
    "summarization": summarization,
    "code": code,
    "translation": translation,
    "classification": classification,
}


def task_module(task: str) -> ModuleType:
    if task not in TASKS:
        raise UserError(f"unknown task {task!r}: choose from {', '.join(TASKS)}")
    return TASKS[task]


def templates_for(task: str, seed: Seed) -> list[str]:
    """The templates of `task` that apply to `seed` (French ones need French text)."""
    module = task_module(task)
    needs = getattr(module, "NEEDS_FRENCH", frozenset())
    return [t for t in module.TEMPLATES if seed.prompt_fr or t not in needs]


def wrap(task: str, template: str, seed: Seed) -> str:
    """The prompt for `seed` in `task`'s `template`."""
    module = task_module(task)
    if template not in module.TEMPLATES:
        raise UserError(f"task {task!r} has no template {template!r}")
    return module.TEMPLATES[template].format(request=seed.prompt, request_fr=seed.prompt_fr)


def pick_template(task: str, seed: Seed, salt: str = "bench") -> str:
    """One applicable template for (seed, task), chosen by hash: stable and well spread."""
    options = templates_for(task, seed)
    return min(options, key=lambda t: (unit(f"{seed.seed_id}|{task}|{t}", salt), t))
