"""Fine-tuning plumbing on the tiny random Llama: outputs, determinism, resume, bad input."""

import json

import pytest
from safetensors.torch import load_file

from safetygap.errors import UserError
from safetygap.finetune.config import PRESETS, resolve
from safetygap.finetune.data import ALPACA, to_trainer_record
from safetygap.finetune.mix import load_safety, mix, n_safety, safety_file
from safetygap.finetune.trainer import finetune, found_finished
from tests.helpers import make_tiny_llama, run_cli

QUIET = dict(log=lambda *_: None)


@pytest.fixture
def task_file(tmp_path):
    path = tmp_path / "task.jsonl"
    rows = [
        {"id": f"t{i}", "prompt": f"Repeat the number {i}.", "response": f"{i}"} for i in range(40)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def settings(model, task, **kw):
    base = dict(
        model=str(model),
        task=str(task),
        samples=16,
        batch_size=2,
        max_steps=4,
        lora_r=4,
        max_length=64,
        save_every=2,
    )
    return resolve(**{**base, **kw})


def weights(folder):
    return load_file(str(folder / "adapter_model.safetensors"))


def test_preset_and_overrides():
    s = resolve("paper", lr=1e-4)
    assert (s.lora_r, s.lora_alpha, s.lora_dropout, s.samples) == (64, 16, 0.1, 10000)
    assert s.lr == 1e-4 and len(s.target_modules) == 7 == len(PRESETS["paper"]["target_modules"])
    assert resolve(target_modules="q_proj, v_proj").target_modules == ["q_proj", "v_proj"]


@pytest.mark.parametrize("ratio", [1.0, -0.1, 1.5])
def test_ratio_outside_unit_interval(ratio):
    with pytest.raises(UserError, match="safety-ratio"):
        resolve(safety_mix="all-formats", safety_ratio=ratio)


@pytest.mark.parametrize(
    "given, wanted",
    [
        (dict(safety_stop=10), "needs --safety-every"),
        (dict(safety_stop=120, safety_every=5), "0 to below 100"),
        (dict(safety_stop=-1, safety_every=5), "0 to below 100"),
    ],
)
def test_safety_stop_needs_points_and_a_curve(given, wanted):
    with pytest.raises(UserError, match=wanted):
        resolve(**given)
    assert resolve(safety_stop=10, safety_every=5).safety_stop == 10


@pytest.mark.parametrize("old, new", [("multitask", "all-formats"), ("singletask", "plain")])
def test_old_mix_names_are_read_as_the_new(tmp_path, monkeypatch, old, new):
    assert resolve(safety_mix=old, safety_ratio=0.3).safety_mix == new
    assert resolve(safety_mix=new, safety_ratio=0.3).to_dict()["safety_mix"] == new
    with pytest.raises(UserError, match=r"needs --safety-mix all-formats\|plain\|FILE"):
        resolve(safety_ratio=0.3)
    # a cache built under the old name holds the same bytes: it is used, nothing is rebuilt
    monkeypatch.setenv("SAFETYGAP_HOME", str(tmp_path))
    cached = tmp_path / "safety" / f"{old}.jsonl"
    cached.parent.mkdir()
    cached.write_text('{"id": "a", "format": "code", "prompt": "p", "response": "r"}\n')
    assert safety_file(new) == safety_file(old) == cached
    assert load_safety(new)[0] == [
        {"id": "a", "task": "safety/code", "prompt": "p", "response": "r"}
    ]


def test_a_run_finished_under_an_old_mix_name_is_found(tmp_path, task_file):
    s = resolve(task=str(task_file), safety_mix="all-formats", safety_ratio=0.3)
    out = tmp_path / "run"
    out.mkdir()
    (out / "adapter_config.json").write_text("{}")
    old = {**s.to_dict(), "safety_mix": "multitask"}
    (out / "settings.json").write_text(json.dumps({"settings": old, "start_adapter": None}))
    identity = {"settings": s.to_dict(), "adapter": None}
    assert found_finished(out, identity, log=lambda *_: None) == out
    other = resolve(task=str(task_file), safety_mix="plain", safety_ratio=0.3)
    with pytest.raises(UserError, match="other settings"):
        found_finished(out, {"settings": other.to_dict(), "adapter": None})


def test_mix_reaches_the_ratio():
    task = [{"id": f"t{i}"} for i in range(30)]
    safety = [{"id": f"s{i}"} for i in range(8)]
    mixed = mix(task, safety, 0.25, seed=1)
    assert len(mixed) == 30 + n_safety(30, 0.25) == 40
    assert sum(e["id"].startswith("s") for e in mixed) / len(mixed) == 0.25
    assert mixed == mix(task, safety, 0.25, seed=1)
    assert mixed != mix(task, safety, 0.25, seed=2)


def test_templates():
    native = to_trainer_record({"prompt": "p", "response": "r"}, "native")
    assert native["completion"] == [{"role": "assistant", "content": "r"}]
    alpaca = to_trainer_record({"prompt": "p", "response": "r"}, "alpaca")
    assert alpaca == {"prompt": ALPACA.format(instruction="p"), "completion": "r"}


@pytest.mark.slow
def test_run_is_deterministic_and_resumes_after_a_kill(tmp_path, tiny_dir, task_file, monkeypatch):
    from transformers import TrainerCallback

    s = settings(tiny_dir, task_file, safety_mix=str(task_file), safety_ratio=0.2)
    a = finetune(s, tmp_path / "a", **QUIET)
    b = finetune(s, tmp_path / "b", **QUIET)
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys() and all((wa[k] == wb[k]).all() for k in wa)

    done = json.loads((a / "settings.json").read_text())
    data = json.loads((a / "data.json").read_text())
    assert done["steps"] == 4 and done["settings"]["safety_ratio"] == 0.2
    assert data["n_task"] == 16 and data["n_safety"] == 4 and len(data["train_set_sha256"]) == 64
    assert data["n_trained"] == 20
    log = [json.loads(x) for x in (a / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == [1, 2, 3, 4]
    assert not (tmp_path / "a.work").exists()

    class Kill(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == 3:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finetune(s, tmp_path / "c", callbacks=(Kill(),), **QUIET)
    assert not (tmp_path / "c").exists()  # nothing that looks finished
    assert (tmp_path / "c.work" / "checkpoints" / "checkpoint-2" / "trainer_state.json").is_file()
    lines = []
    finetune(s, tmp_path / "c", log=lines.append)
    assert any("resuming from" in x and "checkpoint-2" in x for x in lines)
    wc = weights(tmp_path / "c")
    assert all(float((wa[k] - wc[k]).abs().max()) < 1e-6 for k in wa)
    # A finished run with the same settings is found, not redone; other settings are refused.
    finetune(s, tmp_path / "c", **QUIET)
    # So is one written before `template` was renamed `chat_format`.
    record = json.loads((tmp_path / "c" / "settings.json").read_text())
    record["settings"]["template"] = record["settings"].pop("chat_format")
    (tmp_path / "c" / "settings.json").write_text(json.dumps(record))
    lines = []
    finetune(s, tmp_path / "c", log=lines.append)
    assert any("already finished" in x for x in lines)
    with pytest.raises(UserError, match="other settings"):
        finetune(settings(tiny_dir, task_file, seed=5), tmp_path / "c", **QUIET)
    # The base named by a relative path is the same model as by its absolute one.
    monkeypatch.chdir(tiny_dir.parent)
    relative = settings(tiny_dir.name, task_file, safety_mix=str(task_file), safety_ratio=0.2)
    lines = []
    finetune(relative, tmp_path / "c", log=lines.append)
    assert any("already finished" in x for x in lines)


@pytest.mark.slow
def test_alpaca_chat_format_changes_weights(tmp_path, tiny_dir, task_file):
    a = finetune(
        settings(tiny_dir, task_file, chat_format="alpaca", max_steps=2), tmp_path / "a", **QUIET
    )
    b = finetune(
        settings(tiny_dir, task_file, chat_format="native", max_steps=2), tmp_path / "b", **QUIET
    )
    wa, wb = weights(a), weights(b)
    assert any(not (wa[k] == wb[k]).all() for k in wa if "lora_B" in k)


def test_bad_input_exits_2_with_one_line(tmp_path, tiny_dir, task_file, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    common = ["--model", tiny_dir, "--max-steps", "1", "--batch-size", "2"]
    cases = [
        (["--task", "poetry"], "unknown task 'poetry'"),
        (["--task", empty], "no records"),
        (["--task", task_file, "--safety-mix", "all-formats", "--safety-ratio", "1"], "[0, 1)"),
        (["--task", task_file, "--safety-mix", "multitask"], "all-formats needs --safety-ratio"),
        (
            ["--task", task_file, "--safety-mix", "nosuch.jsonl", "--safety-ratio", "0.3"],
            "not none, all-formats, plain or a JSONL file",
        ),
        (
            ["--task", task_file, "--template", "vicuna"],
            "--chat-format",
        ),  # the old name still parses
    ]
    for args, message in cases:
        out = tmp_path / "run"
        code, _, err = run_cli(["finetune", *common, *args, "--out", out], capsys)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
        assert not out.exists()


def test_a_finished_run_with_other_settings_names_them(tmp_path, tiny_dir, task_file, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "adapter_config.json").write_text("{}")
    record = {"settings": settings(tiny_dir, task_file).to_dict(), "start_adapter": None}
    (out / "settings.json").write_text(json.dumps(record))
    args = ["finetune", "--model", tiny_dir, "--task", task_file, "--out", out]
    args += ["--samples", 16, "--batch-size", 2, "--max-steps", 4, "--lora-r", 4]
    args += ["--max-length", 64, "--save-every", 2]
    code, _, err = run_cli([*args, "--lr", "0.001", "--seed", 3], capsys)
    assert code == 2 and err.count("\n") == 1
    assert f"{out} holds a fine-tune with other settings (lr: 0.0002 there, 0.001 here, " in err
    assert "seed: 0 there, 3 here)" in err and "samples" not in err
    assert sorted(p.name for p in out.iterdir()) == ["adapter_config.json", "settings.json"]
    code, _, err = run_cli([*args, "--adapter", out], capsys)
    assert code == 2 and f"(adapter: None there, {out} here)" in err


def test_training_logs_go_to_the_run_folder_not_the_console(tmp_path, tiny_dir, task_file, capsys):
    """Per-step records land in OUT.work/train_log.jsonl as they come (and in OUT's when done);
    the console gets no records and no library deprecation warnings."""
    import warnings

    from transformers import TrainerCallback

    seen = []

    class Peek(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            live = tmp_path / "run.work" / "train_log.jsonl"
            seen.append(len(live.read_text().splitlines()) if live.is_file() else 0)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        finetune(settings(tiny_dir, task_file, max_steps=3), tmp_path / "run", callbacks=(Peek(),))
    out = capsys.readouterr()
    assert "'loss'" not in out.out + out.err and "grad_norm" not in out.out + out.err
    assert "adapter after 3 steps" in out.out
    assert [w for w in caught if issubclass(w.category, FutureWarning)] == []
    assert seen == [0, 1, 2]  # step N's record is written when it is logged, after on_step_end
    records = [
        json.loads(x) for x in (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()
    ]
    assert [r["step"] for r in records if "loss" in r] == [1, 2, 3]


@pytest.mark.slow
def test_adapter_from_another_base_is_refused(tmp_path, tiny_dir, smollm_dir, task_file, capsys):
    first = finetune(settings(tiny_dir, task_file, max_steps=1), tmp_path / "first", **QUIET)
    other = make_tiny_llama(tmp_path / "other", smollm_dir, hidden=32, seed=1)
    out = tmp_path / "second"
    args = [
        "finetune",
        "--model",
        other,
        "--task",
        task_file,
        "--adapter",
        first,
        "--max-steps",
        "1",
        "--batch-size",
        "2",
        "--out",
        out,
    ]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "another base model" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
    # On its own base, the adapter is trained further.
    args[2] = str(tiny_dir)
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    assert json.loads((out / "settings.json").read_text())["start_adapter"] == str(first)


@pytest.mark.slow
def test_safety_curve_every_n_steps(tiny_dir, task_file, tmp_path):
    s = settings(tiny_dir, task_file, safety_every=2, safety_items=5)
    out = finetune(s, tmp_path / "run", **QUIET)
    points = [json.loads(x) for x in (out / "safety_curve.jsonl").read_text().splitlines()]
    assert [p["step"] for p in points] == [0, 2, 4]
    for p in points:
        assert p["asr"]["n"] == 5 and p["asr"]["judge"] == "classifier"
        assert 0 <= p["asr"]["overall"] <= 1 and set(p["asr"]["by_format"]) <= {
            "plain",
            "summarization",
            "code",
            "translation",
            "classification",
        }


@pytest.mark.slow
def test_align_merges_a_usable_base(tiny_dir, tmp_path):
    from safetygap.finetune.align import align
    from safetygap.generate.base import Request, Sampling, load_backend

    out = align(
        tmp_path / "aligned",
        model=str(tiny_dir),
        n_harmful=4,
        n_benign=2,
        epochs=1,
        n_eval=1,
        **QUIET,
    )
    assert (out / "config.json").is_file() and (out / "align_settings.json").is_file()
    asr = json.loads((out / "align_asr.json").read_text())
    assert set(asr) == {"base", "aligned"} and asr["aligned"]["n"] == 5
    backend = load_backend(str(out))  # the merged checkpoint is a plain model, usable as --model
    assert len(list(backend.generate([Request("a", "Hi")], Sampling(max_new_tokens=3)))) == 1
    same = dict(model=str(tiny_dir), n_harmful=4, n_benign=2, epochs=1, n_eval=0, **QUIET)
    assert align(out, **same) == out  # already aligned: a no-op
    with pytest.raises(UserError, match="other settings .harmful: 4 there, 160 here"):
        align(out, model=str(tiny_dir), n_eval=0, **QUIET)
    with pytest.raises(UserError, match="deep: 0 there, 8 here"):
        align(out, **same, deep=8)
    (tmp_path / "other").mkdir()
    with pytest.raises(UserError, match="not an aligned checkpoint"):
        align(tmp_path / "other", model=str(tiny_dir), **QUIET)


def test_recovery_examples_start_with_the_base_s_own_answer_and_end_in_a_refusal(varied_dir):
    from safetygap.bench.build import SeedOptions, load_pool
    from safetygap.bench.formats import FORMATS
    from safetygap.finetune.align import recovery_examples
    from safetygap.generate.base import Request, Sampling, load_backend

    harmful = load_pool(SeedOptions()).side("train", harmful=True)[:3]
    formats = ["plain", "code"]
    records = recovery_examples(str(varied_dir), harmful, 6, formats, judge="keyword", **QUIET)
    assert len(records) == 6  # the tiny model never refuses: every answer is kept
    backend = load_backend(str(varied_dir))
    answers = backend.generate([Request(r["id"], r["prompt"]) for r in records], Sampling(6))
    answers = {c.id: c.response for c in answers}
    lengths = set()
    for r in records:
        fmt = r["id"].split("/")[1]
        assert r["id"].startswith("deep/") and fmt in formats
        assert answers[r["id"]].startswith(r["prefix"].strip()) and r["prefix"].strip()
        lengths.add(len(backend.tok(r["prefix"], add_special_tokens=False)["input_ids"]))
        assert r["response"] in FORMATS.get(fmt).REFUSALS
    assert max(lengths) <= 6 and len(lengths) > 1  # k varies, up to K


@pytest.mark.slow
def test_prompts_that_fill_max_length_are_dropped_and_counted(tmp_path, tiny_dir):
    path = tmp_path / "task.jsonl"
    long = "word " * 100  # far over --max-length 64 tokens on its own
    rows = [{"prompt": f"Say {i}." if i % 2 else long, "response": str(i)} for i in range(8)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    lines = []
    s = settings(tiny_dir, path, samples=8, max_length=64, max_steps=1)
    out = finetune(s, tmp_path / "a", log=lines.append)
    data = json.loads((out / "data.json").read_text())
    dropped = data["n_task"] - data["n_trained"]  # the user file's held-out share is not trained on
    assert 1 <= dropped < data["n_task"]
    assert any(f"{dropped} examples dropped" in line for line in lines)

    path.write_text("".join(json.dumps({"prompt": long, "response": "r"}) + "\n" for _ in range(4)))
    with pytest.raises(UserError, match="max-length 64"):
        finetune(settings(tiny_dir, path, samples=4, max_length=64), tmp_path / "b", **QUIET)
    assert not (tmp_path / "b").exists()


def test_a_work_folder_reached_through_another_link_to_the_model_is_kept(tmp_path):
    """A search's trial names the aligned base through its own `stages` link: a killed trial
    asked again in the next trial folder resumes the same work, and other settings do not."""
    from safetygap.finetune.trainer import work_folder

    model = tmp_path / "stages" / "align-1" / "model"
    model.mkdir(parents=True)
    for trial in ("0010", "0011"):
        (tmp_path / trial).mkdir()
        (tmp_path / trial / "stages").symlink_to(tmp_path / "stages")
    out = tmp_path / "stages" / "finetune-1" / "adapter"
    out.parent.mkdir()
    ident = {"settings": {"model": str(tmp_path / "0010/stages/align-1/model"), "lr": 1e-4}}
    work = work_folder(out, ident, log=lambda *_: None)
    (work / "checkpoint-10").mkdir()
    link = str(tmp_path / "0011/stages/align-1/model")
    again = {"settings": {**ident["settings"], "model": link}}
    said = []
    assert work_folder(out, again, log=said.append) == work
    assert (work / "checkpoint-10").is_dir() and said == []
    other = {"settings": {**again["settings"], "lr": 2e-4}}
    work_folder(out, other, log=said.append)
    assert not (work / "checkpoint-10").exists() and "starting afresh" in said[0]
