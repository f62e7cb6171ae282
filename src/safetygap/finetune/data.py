"""The examples a run trains on, and the records TRL's SFTTrainer reads.

`training_set` samples the task's train split (seeded), adds the safety mix (see `mix.py`) and
returns the examples with their provenance (hashes and counts, written to data.json);
`to_trainer_record` writes one example as a prompt-completion record in the run's chat format.
"""

from pathlib import Path

from safetygap.errors import UserError
from safetygap.finetune.config import FinetuneSettings
from safetygap.finetune.mix import examples_sha256, load_safety, mix, pick

ALPACA = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)


def training_set(s: FinetuneSettings, log=print) -> tuple[list[dict], dict]:
    """The examples of a run, in a fixed order, and their provenance (hashes, counts)."""
    from safetygap.finetune.tasks import load_examples, task_kind

    task_train = load_examples(s.task, "train", s.prompt_field, s.response_field)
    if len(task_train) < s.samples:
        log(f"task {s.task}: {len(task_train)} train examples, fewer than --samples {s.samples}")
    task = pick(task_train, min(s.samples, len(task_train)), s.seed, "task")
    safety, provenance = load_safety(s.safety_mix, log)
    if s.safety_mix != "none" and not safety:
        raise UserError(f"--safety-mix {s.safety_mix}: no safety examples")
    examples = mix(task, safety, s.safety_ratio, s.seed)
    data = {
        "task": s.task,
        "task_kind": task_kind(s.task),
        "task_train_available": len(task_train),
        "task_train_sha256": examples_sha256(task_train),
        "n_task": len(task),
        "safety": provenance,
        "n_safety": len(examples) - len(task),
        "train_set_sha256": examples_sha256(examples),
    }
    if s.task.endswith(".jsonl") or Path(s.task).is_file():
        from safetygap.jsonl import sha256_file

        data["task_file_sha256"] = sha256_file(s.task)
    return examples, data


def to_trainer_record(example: dict, chat_format: str) -> dict:
    """A prompt-completion record: chat messages (native) or Alpaca text (TRL adds the EOS)."""
    if chat_format == "alpaca":
        return {
            "prompt": ALPACA.format(instruction=example["prompt"]),
            "completion": example["response"],
        }
    return {
        "prompt": [{"role": "user", "content": example["prompt"]}],
        "completion": [{"role": "assistant", "content": example["response"]}],
    }
