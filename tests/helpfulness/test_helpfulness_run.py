"""`safetygap helpfulness` and `safetygap compare` on helpfulness runs, end to end: a local
OpenAI-compatible server plays a model whose answers we choose, so the metrics are known."""

import json

import pytest

from safetygap.finetune.tasks import split_of
from safetygap.helpfulness.run import same_setting
from safetygap.helpfulness.scorers import code
from tests.chat_server import ChatServer
from tests.helpers import run_cli

TWEETS = [
    ("great day, loved it", "positive"),
    ("worst service ever", "negative"),
    ("the bus leaves at nine", "neutral"),
    ("what a fantastic match", "positive"),
    ("I am so angry at this", "negative"),
    ("the shop opens on monday", "neutral"),
]
PROMPT = "Classify the sentiment: negative, neutral or positive.\n\nTweet: {}"


def held_out_ids(n: int, split: str = "eval") -> list[str]:
    return [i for i in (f"t{k}" for k in range(1000)) if split_of(i) == split][:n]


@pytest.fixture
def tweets(tmp_path):
    """The tweets with held-out ids, and two training examples that must not be scored."""
    path = tmp_path / "tweets.jsonl"
    ids = held_out_ids(len(TWEETS)) + held_out_ids(2, "train")
    rows = TWEETS + TWEETS[:2]
    path.write_text(
        "".join(
            json.dumps({"id": i, "prompt": PROMPT.format(t), "response": label}) + "\n"
            for i, (t, label) in zip(ids, rows, strict=True)
        )
    )
    return path


def serve(reply):
    return ChatServer(delay=0, reply=reply)


def truth(prompt: str) -> str:
    return dict(TWEETS)[prompt.rsplit("Tweet: ", 1)[1]]


def classify(tmp_path, capsys, server, out, tweets, *extra):
    """Run `helpfulness` on the tweets; (exit code, report or None, stderr)."""
    args = ["helpfulness", "--model", f"openai:m@{server.url}", "--task", tweets]
    args += ["--kind", "classification", "--out", tmp_path / out, *extra]
    rc, _, err = run_cli(args, capsys)
    path = tmp_path / out / "helpfulness.json"
    return rc, (json.loads(path.read_text()) if path.exists() else None), err


def test_scores_known_answers_resumes_and_compares(tweets, tmp_path, capsys):
    """A user file's held-out split, answered rightly by one model and with "negative" by
    another: known metrics, a resumed re-run that asks nothing, a paired comparison."""
    right, lazy = serve(lambda p: f"Sentiment: {truth(p).title()}."), serve(lambda p: "negative")
    try:
        rc, a, _ = classify(tmp_path, capsys, right, "right", tweets)
        assert rc == 0 and a["n"] == len(TWEETS)  # the training examples left out
        assert a["metrics"]["accuracy"]["value"] == 1.0
        assert a["metrics"]["macro_f1"]["value"] == pytest.approx(1.0)
        assert a["metrics"]["no_label"]["value"] == 0.0
        calls = right.calls
        rc, again, _ = classify(tmp_path, capsys, right, "right", tweets)
        assert rc == 0 and right.calls == calls and again["metrics"] == a["metrics"]
        rc, b, _ = classify(tmp_path, capsys, lazy, "lazy", tweets)
        assert b["metrics"]["accuracy"]["value"] == pytest.approx(2 / 6)
        assert b["metrics"]["macro_f1"]["value"] == pytest.approx((0.5 + 0 + 0) / 3)
        rc, out, _ = run_cli(
            ["compare", tmp_path / "right", tmp_path / "lazy", "--out", tmp_path / "c.json"],
            capsys,
        )
        rows = {r["metric"]: r for r in json.loads((tmp_path / "c.json").read_text())}
        assert rc == 0 and "McNemar" in out
        acc = rows["accuracy"]
        assert (acc["a"], acc["only_a"], acc["only_b"]) == (1.0, 4, 0)
        assert acc["p_value"] == pytest.approx(0.125)  # 4 discordant pairs, all one way
        assert acc["test"] == "McNemar exact" and rows["macro_f1"]["test"] == "paired bootstrap"
        flips = ["compare", tmp_path / "right", tmp_path / "lazy", "--show-flips"]
        rc, out, err = run_cli(flips, capsys)
        assert rc == 2 and out == "" and err.count("\n") == 1 and "eval runs" in err
    finally:
        right.close()
        lazy.close()


def test_settings_clash_and_bad_input(tweets, tmp_path, capsys):
    server = serve(lambda p: "neutral")
    try:
        assert classify(tmp_path, capsys, server, "run", tweets)[0] == 0
        before = (tmp_path / "run" / "helpfulness.json").read_text()
        rc, _, err = classify(tmp_path, capsys, server, "run", tweets, "--max-new-tokens", 3)
        assert rc == 2 and "other settings (max_new_tokens)" in err
        assert (tmp_path / "run" / "helpfulness.json").read_text() == before
        rc, _, err = run_cli(["helpfulness", "--task", tweets, "--out", tmp_path / "x"], capsys)
        assert rc == 2 and "needs --kind" in err and not (tmp_path / "x").exists()
        rc, _, err = run_cli(["helpfulness", "--task", "poetry", "--out", tmp_path / "y"], capsys)
        assert rc == 2 and "unknown task 'poetry'" in err and not (tmp_path / "y").exists()
        rc, _, err = classify(tmp_path, capsys, server, "z", tweets, "--eval", tmp_path / "run")
        assert rc == 2 and "not a finished eval run" in err and not (tmp_path / "z").exists()
        rc, _, err = run_cli(["compare", tmp_path / "run", tmp_path / "nothing"], capsys)
        assert rc == 2 and "error" in err
        train_only = tmp_path / "train.jsonl"
        train_only.write_text("".join(tweets.read_text().splitlines(True)[-2:]))
        rc, _, err = classify(tmp_path, capsys, server, "w", train_only)
        assert rc == 2 and "has no eval examples" in err and not (tmp_path / "w").exists()
    finally:
        server.close()


def test_code_passes_exactly_the_right_programs(tmp_path, capsys):
    """HumanEval through a server that answers the canonical solution for even problems and a
    wrong body for odd ones: pass@1 is the share of even ones."""
    solutions = {p["prompt"]: p["canonical_solution"] for p in code.humaneval()}
    index = {p["prompt"]: n for n, p in enumerate(code.humaneval())}

    def reply(prompt):
        problem = prompt.split("```python\n", 1)[1].rsplit("```", 1)[0]
        return f"```python\n{solutions[problem]}```" if index[problem] % 2 == 0 else "    pass\n"

    server = serve(reply)
    try:
        args = ["helpfulness", "--model", f"openai:m@{server.url}", "--task", "code"]
        rc, _, err = run_cli([*args, "--limit", 4, "--out", tmp_path / "code"], capsys)
        assert rc == 0, err
        report = json.loads((tmp_path / "code" / "helpfulness.json").read_text())
        assert report["metrics"]["pass@1"]["value"] == 0.5 and report["n"] == 4
        rc, _, err = run_cli(
            [*args, "--limit", 4, "--memory-mb", 0, "--out", tmp_path / "bad"], capsys
        )
        assert rc == 2 and "memory_mb" in err and not (tmp_path / "bad").exists()
    finally:
        server.close()


def test_a_local_model_on_a_registered_task(tiny_dir, tmp_path, capsys):
    """The transformers backend on the shipped classification task's held-out split."""
    out = tmp_path / "tiny"
    rc, _, err = run_cli(
        [
            "helpfulness",
            "--model",
            tiny_dir,
            "--task",
            "classification",
            "--limit",
            3,
            "--out",
            out,
        ],
        capsys,
    )
    assert rc == 0, err
    report = json.loads((out / "helpfulness.json").read_text())
    assert report["n"] == 3 and report["kind"] == "classification"
    assert report["settings"]["max_new_tokens"] == 16
    assert len((out / "scores.jsonl").read_text().splitlines()) == 3


def test_over_refusal_comes_from_an_eval_run_of_the_same_model(tweets, tmp_path, capsys):
    server = serve(lambda p: "positive")
    try:
        model = f"openai:m@{server.url}"
        run = tmp_path / "eval"
        run.mkdir()
        over = {"value": 0.25, "ci_low": 0.1, "ci_high": 0.5, "n": 8}
        (run / "metrics.json").write_text(json.dumps({"over_refusal": {"overall": over}}))
        settings = {"model": model, "adapter": None, "system_prompt": None, "temperature": 0.0}
        (run / "settings.json").write_text(json.dumps(settings))
        rc, report, err = classify(tmp_path, capsys, server, "ok", tweets, "--eval", run)
        assert rc == 0, err
        assert report["over_refusal"] == {**over, "eval_run": str(run)}
        (run / "settings.json").write_text(json.dumps({**settings, "model": "other"}))
        rc, _, err = classify(tmp_path, capsys, server, "other", tweets, "--eval", run)
        assert rc == 2 and "another model or setting (model)" in err
        assert not (tmp_path / "other").exists()
        # One local model folder named two ways (through a symlink) is the same model.
        folder = tmp_path / "models" / "m"
        folder.mkdir(parents=True)
        (tmp_path / "alias").symlink_to(tmp_path / "models")
        assert same_setting(str(folder), str(tmp_path / "alias" / "m"))
        assert not same_setting(str(folder), str(tmp_path / "models"))
        assert not same_setting(str(folder), str(tmp_path / "gone"))
    finally:
        server.close()


def test_limit_takes_a_hash_ordered_sample_not_the_file_head(tmp_path):
    """A file sorted by label: the first N held-out items must not all share one label."""
    from safetygap.hashing import unit
    from safetygap.helpfulness.run import task_items

    ids = held_out_ids(40)
    labels = ["negative"] * 20 + ["positive"] * 20  # sorted by label, as source files often are
    path = tmp_path / "sorted.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": i, "prompt": PROMPT.format(i), "response": lab}) + "\n"
            for i, lab in zip(ids, labels, strict=True)
        )
    )
    kind, items = task_items(str(path), "classification", 10)
    assert kind == "classification" and len(items) == 10
    assert [it["id"] for it in items] == sorted(ids, key=lambda i: unit(i, "helpfulness"))[:10]
    assert {it["reference"] for it in items} == {"negative", "positive"}
    assert items[0]["labels"] == ["negative", "positive"]


def test_a_malformed_task_file_is_one_line_and_writes_nothing(tweets, tmp_path, capsys):
    broken = tmp_path / "broken.jsonl"
    broken.write_text(tweets.read_text() + '{"id": "x", "prompt": \n')
    rc, _, err = run_cli(
        ["helpfulness", "--task", broken, "--kind", "classification", "--out", tmp_path / "r"],
        capsys,
    )
    assert rc == 2 and "not valid JSON" in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()
