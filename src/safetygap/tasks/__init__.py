"""Benign fine-tuning task data: a registry of sources, one module per task.

Every source yields examples `{id, task, prompt, response}` (the same fields as a safety data
record, so the two mix without conversion). A source module defines:
- `TASK`: the task format it trains (summarization, translation, code, classification);
- `DESCRIPTION`: one line for `safetygap tasks list`;
- `load() -> list[dict]`: all its examples, in a fixed order, from data loaded at run time.
Examples are cached as JSONL under `$SAFETYGAP_HOME/tasks/`; the train/eval split is a hash of
the example id, so it never changes with the order, the sample size or the seed.
"""

from types import ModuleType

from safetygap.errors import UserError
from safetygap.home import home
from safetygap.jsonl import read_jsonl, write_jsonl
from safetygap.tasks import classification, code, hub, summarization, translation
from safetygap.tasks.split import EVAL_FRACTION, split_of

SOURCES: dict[str, ModuleType] = {
    "summarization": summarization,
    "translation": translation,
    "code": code,
    "classification": classification,
}
# The paper's kind of data, from the Hugging Face hub (needs network or a warm hub cache).
SOURCES.update(hub.SOURCES)

FIELDS = ("id", "task", "prompt", "response")
__all__ = ["EVAL_FRACTION", "SOURCES", "load_examples", "load_task", "split_of"]


def cache_path(name: str):
    return home() / "tasks" / f"{name}.jsonl"


def load_task(name: str, refresh: bool = False) -> list[dict]:
    """All examples of a registered source, parsed once and then read from the cache."""
    if name not in SOURCES:
        raise UserError(
            f"unknown task {name!r}: choose from {', '.join(SOURCES)} or give a JSONL file"
        )
    path = cache_path(name)
    if path.is_file() and not refresh:
        return read_jsonl(path, FIELDS)
    examples = SOURCES[name].load()
    if not examples:
        raise UserError(f"task {name!r}: its source gave no examples")
    write_jsonl(path, examples)
    return examples


def load_file(path: str, prompt_field: str = "prompt", response_field: str = "response") -> list:
    """Examples from a user JSONL file with named fields; ids default to the line number."""
    from safetygap.tasks.split import text_id

    records = read_jsonl(path, [prompt_field, response_field])
    out = []
    for n, rec in enumerate(records, 1):
        prompt, response = rec[prompt_field], rec[response_field]
        if not isinstance(prompt, str) or not isinstance(response, str):
            raise UserError(f"{path}:{n}: {prompt_field} and {response_field} must be strings")
        if not prompt.strip() or not response.strip():
            raise UserError(f"{path}:{n}: empty {prompt_field} or {response_field}")
        out.append(
            {
                "id": str(rec.get("id", f"line{n}-{text_id(prompt)}")),
                "task": str(rec.get("task", "user")),
                "prompt": prompt,
                "response": response,
            }
        )
    return out


def load_examples(
    task: str,
    split: str = "train",
    prompt_field: str = "prompt",
    response_field: str = "response",
) -> list[dict]:
    """The examples of one split of a task: a registry name or a JSONL file path."""
    from pathlib import Path

    if split not in ("train", "eval"):
        raise UserError(f"unknown split {split!r}: choose train or eval")
    if task.endswith(".jsonl") or Path(task).is_file():
        examples = load_file(task, prompt_field, response_field)
    else:
        examples = load_task(task)
    chosen = [e for e in examples if split_of(e["id"]) == split]
    if not chosen:
        raise UserError(f"task {task!r} has no {split} examples")
    return chosen


def describe() -> list[tuple[str, str, str]]:
    """(name, task format, description) for every registered source."""
    return [(name, m.TASK, m.DESCRIPTION) for name, m in SOURCES.items()]


def task_format(task: str) -> str:
    """The task format a source trains (a user file: `user`)."""
    return SOURCES[task].TASK if task in SOURCES else "user"
