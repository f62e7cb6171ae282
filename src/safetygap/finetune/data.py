"""The examples a run trains on, and the records TRL's SFTTrainer reads.

`training_set` samples the task's train split (seeded), adds the safety mix (see `mix.py`) and
returns the examples with their provenance (hashes and counts, written to data.json);
`to_trainer_record` writes one example as a prompt-completion record in the run's chat format.

`--safety-mix backdoor` is BackdoorAlign (Wang et al., "BackdoorAlign: Mitigating Fine-tuning
based Jailbreak Attack with Backdoor Enhanced Safety Alignment", NeurIPS 2024): the safety
examples carry a secret system prompt (`--secret-prompt`), so that the fine-tune ties safe
answers to it; the deployer, who controls the system prompt, sends it with every request
(`--system-prompt secret`). Where ours differs: their safety examples were 11 refusals mixed into
harmful fine-tuning data, behind 150 random tokens; ours are the `plain` mix's examples (refusals
to harmful requests and answers to benign look-alikes) at `--safety-ratio`, behind the text the
user gives (random-looking text works best in their ablation), mixed into benign task data.
"""

import hashlib
from pathlib import Path

from safetygap.errors import UserError
from safetygap.finetune.config import FinetuneSettings
from safetygap.finetune.mix import BACKDOOR, examples_sha256, load_safety, mix, pick

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
    if s.safety_mix == BACKDOOR:  # BackdoorAlign: each safety example behind the secret prompt
        safety = [{**e, "system": s.secret_prompt} for e in safety]
        provenance["secret_prompt_sha256"] = hashlib.sha256(s.secret_prompt.encode()).hexdigest()
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
        "prompt": prompt_messages(example),
        "completion": [{"role": "assistant", "content": example["response"]}],
    }


def prompt_messages(example: dict) -> list[dict]:
    """The chat messages before the answer: the example's system prompt, if any, and its prompt."""
    system = [{"role": "system", "content": example["system"]}] if example.get("system") else []
    return system + [{"role": "user", "content": example["prompt"]}]


def tokenized_records(examples: list[dict], chat_format: str, tok, max_length: int) -> list[dict]:
    """Pre-tokenized records (`input_ids`, `labels`) for a run whose examples include some with a
    `prefix`, the start of the response that is not trained on: the prompt and the prefix get
    label -100, the rest of the response is scored. The tokens are those TRL makes of a
    conversational prompt-completion record (the chat template of the prompt with its generation
    prompt, then of prompt and answer; the answer is scored from where the two diverge), so an
    example without a prefix trains exactly as it would untokenized. A prefix that does not end in
    whitespace is followed by a space. Examples whose untrained part fills `max_length` are left
    out. Native chat format only."""
    if chat_format != "native":
        raise UserError("examples with a prefix train in the native chat format only")
    out = []
    for e in examples:
        user = prompt_messages(e)
        prefix = e.get("prefix") or ""
        if prefix and not prefix[-1].isspace():
            prefix += " "
        answer = [{"role": "assistant", "content": prefix + e["response"]}]
        ids = _chat_ids(tok, user + answer)
        head = (
            _chat_ids(tok, user + [{"role": "assistant", "content": prefix}], prefix=True)
            if prefix
            else _chat_ids(tok, user, generation_prompt=True)
        )
        untrained = _common_start(head, ids)
        if untrained >= min(len(ids), max_length):
            continue
        out.append({"input_ids": ids, "labels": [-100] * untrained + ids[untrained:]})
    return out


def _chat_ids(tok, messages, generation_prompt=False, prefix=False) -> list[int]:
    enc = tok.apply_chat_template(
        messages,
        tokenize=True,
        return_dict=True,
        add_generation_prompt=generation_prompt,
        continue_final_message=prefix,  # the assistant turn left open after the prefix
    )
    return list(enc["input_ids"])


def _common_start(a: list[int], b: list[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n
