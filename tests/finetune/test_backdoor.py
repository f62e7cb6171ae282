"""BackdoorAlign (`--safety-mix backdoor --secret-prompt`): the safety examples trained behind a
secret system prompt, and the model served behind it (`--system-prompt secret`)."""

import json

import pytest
import torch

from safetygap.errors import UserError
from safetygap.finetune.config import resolve
from safetygap.finetune.data import to_trainer_record, training_set
from safetygap.finetune.trainer import build_trainer
from safetygap.generate.base import system_prompt_from
from tests.finetune.test_loss import QUIET, load_tiny, tiny_settings

SECRET = "qz7 vortex ambit 41 lorn quiet#trellis"


@pytest.fixture
def safety_home(tmp_path, monkeypatch):
    """A plain safety dataset of four refusals in a fresh SAFETYGAP_HOME."""
    monkeypatch.setenv("SAFETYGAP_HOME", str(tmp_path / "home"))
    path = tmp_path / "home" / "safety" / "plain.jsonl"
    path.parent.mkdir(parents=True)
    rows = [
        {"id": f"s{i}", "format": "plain", "prompt": f"Do the bad thing {i}.", "response": "No."}
        for i in range(4)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize(
    "given, wanted",
    [
        (dict(safety_mix="backdoor", safety_ratio=0.2), "needs --secret-prompt TEXT, not empty"),
        (
            dict(safety_mix="backdoor", safety_ratio=0.2, secret_prompt="  "),
            "needs --secret-prompt TEXT, not empty",
        ),
        (
            dict(
                safety_mix="backdoor", safety_ratio=0.2, secret_prompt=SECRET, chat_format="alpaca"
            ),
            "--chat-format native",
        ),
        (dict(secret_prompt=SECRET), "read by --safety-mix backdoor only"),
        (dict(safety_mix="plain", safety_ratio=0.2, secret_prompt=SECRET), "backdoor only"),
    ],
)
def test_a_backdoor_needs_its_secret_and_a_secret_its_backdoor(given, wanted):
    with pytest.raises(UserError, match=wanted):
        resolve(**given)


def test_the_safety_examples_and_only_they_carry_the_secret(safety_home, task_file):
    s = resolve(task=str(task_file), safety_mix="backdoor", safety_ratio=0.5, secret_prompt=SECRET)
    examples, data = training_set(s, log=lambda *_: None)
    safety = [e for e in examples if e["task"].startswith("safety/")]
    task = [e for e in examples if not e["task"].startswith("safety/")]
    assert safety and task and len(safety) == len(task)
    assert all(e["system"] == SECRET for e in safety) and not any("system" in e for e in task)
    assert data["safety"]["secret_prompt_sha256"] != SECRET and SECRET not in json.dumps(data)
    record = to_trainer_record(safety[0], "native")
    assert record["prompt"][0] == {"role": "system", "content": SECRET}
    plain = resolve(task=str(task_file), safety_mix="plain", safety_ratio=0.5)
    plain_examples, _ = training_set(plain, log=lambda *_: None)
    assert [{k: v for k, v in e.items() if k != "system"} for e in examples] == plain_examples


def test_the_secret_is_read_from_the_fine_tune(tmp_path):
    run = tmp_path / "ft"
    run.mkdir()
    (run / "settings.json").write_text(json.dumps({"settings": {"secret_prompt": SECRET}}))
    assert system_prompt_from("secret", str(run)) == SECRET
    assert system_prompt_from("SECRET ", str(run)) == SECRET
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "settings.json").write_text(json.dumps({"settings": {}}))
    for adapter in (str(tmp_path / "plain"), str(tmp_path / "none"), None):
        with pytest.raises(UserError, match="holds no secret prompt"):
            system_prompt_from("secret", adapter)


def test_a_backdoor_fine_tune_ties_its_refusals_to_the_secret(varied_dir, tmp_path, safety_home):
    """Trained on task answers and on refusals behind the secret, the tiny model makes the
    refusal likelier with the secret as its system prompt than without one, for a request it
    was not trained on."""
    task = tmp_path / "task.jsonl"
    rows = [{"prompt": f"Add {i} and {i}.", "response": str(2 * i)} for i in range(16)]
    task.write_text("".join(json.dumps(r) + "\n" for r in rows))
    s = tiny_settings(
        varied_dir,
        task=str(task),
        samples=16,
        safety_mix="backdoor",
        safety_ratio=0.5,
        secret_prompt=SECRET,
        lr=1e-2,
        max_steps=40,
    )
    model, tok = load_tiny(varied_dir)
    examples, _ = training_set(s, log=lambda *_: None)
    trainer, _ = build_trainer(s, model, tok, "cpu", examples, tmp_path / "run", **QUIET)
    trainer.train()

    def refusal_log_prob(system):
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": "Do the bad thing 9."}
        ]
        prompt = tok.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)
        answer = tok("No.", add_special_tokens=False)["input_ids"]
        ids = torch.tensor([list(prompt["input_ids"]) + answer])
        with torch.no_grad():
            logits = trainer.model(input_ids=ids).logits[0, -len(answer) - 1 : -1]
        return logits.log_softmax(-1).gather(-1, torch.tensor(answer).unsqueeze(-1)).sum().item()

    assert refusal_log_prob(SECRET) > refusal_log_prob(None) + 1.0
