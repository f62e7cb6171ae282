"""Fine-tuning tasks: the benign data a model is fine-tuned on, a registry of sources.

Every source yields examples `{id, task, prompt, response}` (the fields a safety data record
has too, so the two mix without conversion). A source (a module, or an object such as a hub
set) defines:
- `TASK`: the task it trains (summarization, translation, code, classification);
- `DESCRIPTION`: one line for `safetygap tasks list`;
- `load() -> list[dict]`: all its examples, in a fixed order, from data loaded at run time.
Adding one is one file (or one object) and one registry line. Examples are cached as JSONL
under `$SAFETYGAP_HOME/tasks/`; the train/eval split is a hash of the example id, so it never
changes with the order, the sample size or the seed.
"""

from pathlib import Path

from safetygap.errors import Checks, UserError
from safetygap.hashing import text_id, unit
from safetygap.home import home
from safetygap.jsonl import ID, read_jsonl, write_jsonl
from safetygap.registry import Registry

TASKS = Registry(
    "task",
    {
        "summarization": "safetygap.finetune.tasks.summarization",
        "translation": "safetygap.finetune.tasks.translation",
        "code": "safetygap.finetune.tasks.code",
        "classification": "safetygap.finetune.tasks.classification",
        # The paper's kind of data, from the Hugging Face hub (network or a warm hub cache).
        "arxiv-summarization": "safetygap.finetune.tasks.hub:ARXIV_SUMMARIZATION",
        "python-code-instructions": "safetygap.finetune.tasks.hub:PYTHON_CODE_INSTRUCTIONS",
        "wmt14-en-fr": "safetygap.finetune.tasks.hub:WMT14_EN_FR",
        "financial-tweets": "safetygap.finetune.tasks.hub:FINANCIAL_TWEETS",
    },
)
FIELDS = ("id", "task", "prompt", "response")
EVAL_FRACTION = 0.1
SPLITS = ("train", "eval")


def split_of(example_id: str) -> str:
    """`eval` for about EVAL_FRACTION of the ids (by hash), `train` for the rest."""
    return "eval" if unit(example_id, "task-split") < EVAL_FRACTION else "train"


def cache_path(name: str) -> Path:
    return home() / "tasks" / f"{name}.jsonl"


def is_file_task(task: str) -> bool:
    """A `--task` that names a JSONL file rather than a registered source."""
    return task.endswith(".jsonl") or Path(task).is_file()


def unknown_task(name: str) -> UserError:
    return UserError(f"unknown task {name!r}: choose from {', '.join(TASKS)} or give a JSONL file")


def load_task(name: str, refresh: bool = False) -> list[dict]:
    """All examples of a registered source, parsed once and then read from the cache."""
    if name not in TASKS:
        raise unknown_task(name)
    path = cache_path(name)
    if path.is_file() and not refresh:
        return read_jsonl(path, FIELDS)
    examples = TASKS.get(name).load()
    if not examples:
        raise UserError(f"task {name!r}: its source gave no examples")
    write_jsonl(path, examples)
    return examples


def load_file(path: str, prompt_field: str = "prompt", response_field: str = "response") -> list:
    """Examples from a user JSONL file with named fields; ids default to the line number. A
    record's optional `prefix` is the start of its response that is not trained on (the response
    follows it): a safety-recovery example's harmful opening, before the refusal."""
    records = read_jsonl(
        path, [prompt_field, response_field], {"id": ID, "task": str, "prefix": str}
    )
    out, seen = [], set()
    for n, rec in enumerate(records, 1):
        prompt, response = rec[prompt_field], rec[response_field]
        if not isinstance(prompt, str) or not isinstance(response, str):
            wanted = f"{prompt_field} and {response_field}"
            raise UserError(f"{path}: record {n}: {wanted} must be strings")
        if not prompt.strip() or not response.strip():
            raise UserError(f"{path}: record {n}: empty {prompt_field} or {response_field}")
        rid = str(rec.get("id", f"line{n}-{text_id(prompt, keep_case=True)}"))
        if rid in seen:
            raise UserError(f"{path}: duplicate id {rid!r}")
        seen.add(rid)
        example = {"id": rid, "task": rec.get("task", "user"), "prompt": prompt}
        out.append({**example, "response": response})
        if rec.get("prefix"):
            out[-1]["prefix"] = rec["prefix"]
    return out


def check_task(
    task: str, split: str = "train", prompt_field: str = "prompt", response_field: str = "response"
) -> str:
    """`task` when it names a registered task or a task file whose records read, and `split` is
    known; else every problem (a file is read whole now, so that a bad record is heard of
    before any work)."""
    from safetygap.inputs import in_file

    checks = Checks()
    if is_file_task(task):
        if checks(in_file, task, "task file") is None and not checks.found:
            checks(load_file, task, prompt_field, response_field)
    elif task not in TASKS:
        checks.add(str(unknown_task(task)))
    if split not in SPLITS:
        checks.add(f"unknown split {split!r}: choose train or eval")
    checks.done()
    return task


def load_examples(
    task: str,
    split: str = "train",
    prompt_field: str = "prompt",
    response_field: str = "response",
) -> list[dict]:
    """The examples of one split of a task: a registry name or a JSONL file path."""
    if split not in SPLITS:
        raise UserError(f"unknown split {split!r}: choose train or eval")
    if is_file_task(task):
        examples = load_file(task, prompt_field, response_field)
    else:
        examples = load_task(task)
    chosen = [e for e in examples if split_of(e["id"]) == split]
    if not chosen:
        raise UserError(f"task {task!r} has no {split} examples")
    return chosen


def describe() -> list[tuple[str, str, str]]:
    """(name, task, description) for every registered source."""
    return [(name, source.TASK, source.DESCRIPTION) for name, source in TASKS.items()]


def task_kind(task: str) -> str:
    """The task a source trains (a user file: `user`)."""
    return TASKS.get(task).TASK if task in TASKS else "user"
