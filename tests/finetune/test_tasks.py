"""Fine-tuning task data: user files, deterministic splits, the real sources' record mapping."""

import hashlib
import json

import pytest

from safetygap.errors import UserError
from safetygap.finetune.tasks import (
    TASKS,
    code,
    debian,
    describe,
    load_examples,
    load_file,
    load_task,
    split_of,
)


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_user_file_splits_are_disjoint_and_stable(tmp_path):
    path = write(
        tmp_path / "t.jsonl",
        [{"id": f"x{i}", "question": f"q{i}", "answer": f"a{i}"} for i in range(200)],
    )
    train = load_examples(str(path), "train", "question", "answer")
    held = load_examples(str(path), "eval", "question", "answer")
    assert {e["id"] for e in train} | {e["id"] for e in held} == {f"x{i}" for i in range(200)}
    assert not {e["id"] for e in train} & {e["id"] for e in held}
    assert 5 <= len(held) <= 40  # about 10%
    assert train[0] == {
        "id": train[0]["id"],
        "task": "user",
        "prompt": "q" + train[0]["id"][1:],
        "response": "a" + train[0]["id"][1:],
    }
    # A split depends on the id only, not on the file's order: reversed, the same split.
    write(tmp_path / "r.jsonl", [json.loads(x) for x in path.read_text().splitlines()][::-1])
    reversed_held = load_examples(str(tmp_path / "r.jsonl"), "eval", "question", "answer")
    assert sorted(e["id"] for e in reversed_held) == sorted(e["id"] for e in held)
    # Pinned: a change to the hashing would move every released split.
    assert [i for i in range(200) if split_of(f"x{i}") == "eval"][:5] == [3, 4, 37, 38, 43]


@pytest.mark.parametrize(
    "records, message",
    [
        ([{"prompt": "p"}], "missing field"),
        ([{"prompt": " ", "response": "r"}], "empty"),
        ([{"prompt": 3, "response": "r"}], "must be strings"),
    ],
)
def test_user_file_errors(tmp_path, records, message):
    with pytest.raises(UserError, match=message):
        load_file(str(write(tmp_path / "bad.jsonl", records)))


def test_unknown_task():
    with pytest.raises(UserError, match="unknown task 'poetry'"):
        load_examples("poetry")


def test_debian_stanzas_pair_by_md5():
    text = (
        "Package: foo\nDescription-md5: abc\nDescription-en: a tool for foo\n"
        " First line of the body\n continues here.\n .\n Second paragraph.\n\n"
        "Package: bar\nDescription-md5: def\nDescription-en: bar synopsis\n"
    )
    parsed = debian.parse(text, "en")
    assert parsed["abc"] == (
        "a tool for foo",
        "First line of the body continues here.\n\nSecond paragraph.",
    )
    assert parsed["def"] == ("bar synopsis", "")
    assert debian.parse(text, "fr") == {}


def test_code_split_source_cuts_the_docstring():
    src = 'def add(a, b=1):\n    """Add b to a.\n\n    Twice over.\n    """\n    return a + b\n'
    signature, body = code.split_source(src)
    assert signature == "(a, b=1)"
    assert body == "def add(a, b=1):\n    return a + b\n"
    assert code.split_source('def f():\n    """Only a docstring."""\n') is None


def test_code_task_is_deterministic_and_machine_independent():
    first = code.load()
    assert len(first) > 300
    assert [e["id"] for e in first] == [e["id"] for e in code.load()]
    for e in first:
        assert e["response"].startswith("```python\ndef ")
        assert '"""' not in e["response"].split("\n")[2]  # the docstring is not in the answer
        assert "/.venv/" not in e["prompt"]  # signatures as written, not evaluated defaults


def test_classification_maps_tweets_to_labels():
    examples = load_task("classification")
    assert len(examples) == 37201
    assert {e["response"] for e in examples} == {"negative", "neutral", "positive"}
    assert all(e["prompt"].startswith("Classify the sentiment") for e in examples[:50])
    # The held-out split is pinned (ids keep case: the split the README's runs were drawn with).
    held = sorted(e["id"] for e in examples if split_of(e["id"]) == "eval")
    assert len(held) == 3665
    assert hashlib.sha256("\n".join(held).encode()).hexdigest()[:16] == "111be3188a183bcb"


def test_registry_lists_every_task_with_its_kind():
    rows = {name: (task, text) for name, task, text in describe()}
    assert list(rows) == TASKS.names()
    assert {task for task, _ in rows.values()} == {
        "summarization",
        "translation",
        "code",
        "classification",
    }
    assert rows["financial-tweets"][0] == "classification" and all(t for _, t in rows.values())


@pytest.mark.slow
def test_debian_tasks_from_real_lists():
    summ = load_task("summarization")
    trans = load_task("translation")
    assert len(summ) > 10000 and len(trans) > 5000
    e = summ[0]
    assert "\n" not in e["response"] and len(e["response"]) < len(e["prompt"])
    assert trans[0]["id"].startswith("debian-fr:")
    assert trans[0]["response"] != trans[0]["prompt"]


# Slow once the hub library was imported (as by any test that loads transformers first): it
# has read HF_HUB_OFFLINE by then, so the loader waits for the network to time out.
@pytest.mark.slow
def test_hub_source_unreachable_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(UserError, match="hub dataset .* is not reachable"):
        TASKS["financial-tweets"].load()
