"""`safetygap search` on tiny random models: trials are sweeps over shared stages, the record
holds every trial and the worst feasible one, a killed search resumes to the same trials, a
finished one re-runs for free and extends, and bad input is refused before any trial."""

import json
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
import yaml

from safetygap.search.run import floor_of, importance, plan_search, search
from safetygap.search.space import DEFAULT_SPACE, load_space, suggest
from tests.helpers import QUIET, run_cli, tiny_config, write_yaml

SPACE = {
    "lr": {"low": 1e-4, "high": 1e-2, "log": True},
    "lora_r": {"choices": [2, 4]},
    "system_prompt": {"choices": ["off", "on"]},
}


def base_config(models, task_file, bench, tmp_path):
    cfg = tiny_config(models, task_file, bench, mitigations=[], guards=[])
    del cfg["unaligned"]
    return write_yaml(tmp_path, cfg, "base.yaml")


def args(task_file, base, space, out, trials=3, *extra):
    return [
        "search",
        "--task",
        task_file,
        "--trials",
        trials,
        "--out",
        out,
        "--config",
        base,
        "--space",
        space,
        "--confirm-seeds",
        "0",
        *extra,
    ]


def calibrations(out):
    return [t["calibration"] for t in json.loads((out / "search.json").read_text())["trials"]]


def test_the_default_space_suggests_values_inside_its_ranges():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(40):
        got = suggest(study.ask(), DEFAULT_SPACE)
        assert 3e-5 <= got["lr"] <= 1e-3
        assert got["epochs"] in (1, 2, 3)
        assert got["samples"] in range(80, 321, 80)
        assert got["lora_r"] in (4, 8, 16, 32, 64)
        assert got["target_modules"] in ("qv", "attention", "mlp", "all")


def test_a_space_file_reads_yaml_numbers_written_without_a_dot(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text(
        "lr: {low: 1e-5, high: 3e-4, log: true}\nsamples: {low: 40, high: 200, step: 40}\n"
    )
    space = load_space(path)
    assert space["lr"] == {"low": 1e-5, "high": 3e-4, "log": True}
    assert space["samples"]["step"] == 40 and isinstance(space["samples"]["low"], int)


@pytest.mark.parametrize(
    "space, said",
    [
        ({"learning_rate": {"low": 1, "high": 2}}, "unknown parameter 'learning_rate'"),
        ({"lr": {"low": 1e-3, "high": 1e-4}}, "lr: empty range"),
        ({"lora_r": {"choices": []}}, "lora_r: empty range"),
        ({"chat_format": {"choices": ["native", "chatml"]}}, "'chatml' is not one of"),
        ({"lr": {"low": 0, "high": 1e-3, "log": True}}, "lr: 0 is out of range"),
        ({"epochs": {"low": 1.5, "high": 3}}, "epochs: 1.5 is not a whole number"),
        ({"target_modules": {"low": 1, "high": 2}}, "target_modules: give its choices"),
    ],
)
def test_a_bad_space_is_one_line_and_exit_2_before_anything_is_written(
    space, said, tmp_path, capsys
):
    path = tmp_path / "space.yaml"
    path.write_text(yaml.safe_dump(space))
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["search", "--task", "classification", "--trials", 2, "--out", out, "--space", path],
        capsys,
    )
    assert code == 2 and said in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


@pytest.mark.parametrize(
    "extra, said",
    [
        (["--trials", "0"], "--trials 0: give at least 1"),
        (["--objective", "format:poetry"], "unknown format 'poetry'"),
        (["--objective", "toxicity"], "choose asr, harm_asr or format:FORMAT"),
        (["--confirm-seeds", "1"], "--confirm-seeds 1"),
        (["--task", "knitting"], "knitting"),
    ],
)
def test_bad_options_are_refused_before_any_trial(extra, said, tmp_path, capsys):
    out = tmp_path / "out"
    base = ["search", "--task", "classification", "--trials", "2", "--out", str(out)]
    code, _, err = run_cli(base + extra, capsys)
    assert code == 2 and said in err, err
    assert not out.exists()


def test_a_skill_floor_needs_a_skill_metric_and_harm_asr_a_help_level(
    models, task_file, bench, tmp_path, capsys
):
    cfg = tiny_config(models, task_file, bench, mitigations=[], guards=[], helpfulness=None)
    del cfg["unaligned"]
    no_skill = write_yaml(tmp_path, cfg, "no-skill.yaml")
    keyword = base_config(models, task_file, bench, tmp_path)  # the keyword judge
    out = tmp_path / "out"
    for config, option, said in [
        (no_skill, ["--skill-floor", "5"], "--skill-floor: the config measures no skill"),
        (keyword, ["--objective", "harm_asr"], "keyword judge gives no help level"),
    ]:
        cli = ["search", "--task", task_file, "--trials", 2, "--out", out, "--config", config]
        code, _, err = run_cli(cli + option, capsys)
        assert code == 2 and said in err, err
        assert not out.exists()


def test_the_floor_is_the_default_minus_d_or_the_base():
    reference = {
        "skill": {"metric": "accuracy", "value": 60.0},
        "base_skill": {"metric": "accuracy", "value": 20.0},
    }

    class P:
        skill, skill_floor = True, 5.0

    assert floor_of(P, reference)[0] == 55.0
    P.skill_floor = None
    assert floor_of(P, reference)[0] == 20.0
    P.skill = False
    assert floor_of(P, reference)[0] is None


def test_importance_names_the_parameter_the_objective_follows():
    """fANOVA over a real study whose objective depends on the learning rate alone."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution
    from optuna.trial import create_trial

    space = {"lr": {"low": 1e-4, "high": 1e-2, "log": True}, "lora_r": {"choices": [2, 4, 8]}}
    dists = {
        "lr": FloatDistribution(1e-4, 1e-2, log=True),
        "lora_r": CategoricalDistribution([2, 4, 8]),
    }
    study = optuna.create_study(direction="maximize")
    for i in range(24):
        lr = 1e-4 * (100 ** (i / 23))
        params = {"lr": lr, "lora_r": [2, 4, 8][i % 3]}
        study.add_trial(create_trial(params=params, distributions=dists, value=lr * 50))

    class P:
        seed = 0

    P.space = space
    got = importance(P, study)
    assert list(got)[0] == "lr" and got["lr"] > 0.8, got


@pytest.mark.slow
def test_a_run_reached_through_another_trials_link_is_resumed(tmp_path):
    """A trial killed while answering is asked again in the next trial folder: its eval run
    names the model through that folder's own `stages` link, and resumes; another model does
    not."""
    from safetygap.errors import UserError
    from safetygap.resume import check_claim, claim_run

    for name in ("align-1", "align-2"):
        (tmp_path / "stages" / name / "model").mkdir(parents=True)
    for trial in ("0017", "0018"):
        (tmp_path / trial).mkdir()
        (tmp_path / trial / "stages").symlink_to(tmp_path / "stages")
    out = tmp_path / "stages" / "eval-1"
    claim_run(out, {"model": str(tmp_path / "0017/stages/align-1/model"), "seed": 0})
    (out / "responses.jsonl.partial").write_text('{"id": "a"}\n')
    again = {"model": str(tmp_path / "0018/stages/align-1/model"), "seed": 0}
    assert check_claim(out, again) == []
    other = {"model": str(tmp_path / "0018/stages/align-2/model"), "seed": 0}
    with pytest.raises(UserError, match=r"other settings \(model\)"):
        check_claim(out, other)
    with pytest.raises(UserError, match=r"other settings \(seed\)"):
        check_claim(out, {**again, "seed": "x" * 5000})


def test_a_search_records_its_trials_and_its_worst_feasible_one(
    models, task_file, bench, tmp_path, capsys
):
    base = base_config(models, task_file, bench, tmp_path)
    space = write_yaml(tmp_path, SPACE, "space.yaml")
    out = tmp_path / "out"
    plan = plan_search(str(task_file), 3, out, base, space, confirm_seeds=2)
    record = search(plan, **{"log": QUIET["log"]})
    trials = record["trials"]
    assert [t["number"] for t in trials] == [0, 1, 2]
    assert all(t["state"] == "complete" for t in trials)
    for t in trials:
        assert set(t["calibration"]) == set(record["default"])
        assert 1e-4 <= t["calibration"]["lr"] <= 1e-2 and t["calibration"]["lora_r"] in (2, 4)
        assert t["objective"] == t["metrics"]["asr"]["value"]
        assert t["feasible"] == (t["metrics"]["skill"]["value"] >= record["floor"])
        assert (out / t["metrics"]["folder"] / "sweep.json").is_file()
    feasible = [t for t in trials if t["feasible"]]
    assert record["worst"]["objective"] == max(t["objective"] for t in feasible)
    assert record["reference"]["calibration"] == record["default"]

    # the trials share the search's stages: one bench, and one fine-tune per training setting
    # (the system prompt is a test-time setting) and seed
    def trained(c):
        return json.dumps({k: v for k, v in c.items() if k != "system_prompt"}, sort_keys=True)

    settings = {trained(t["calibration"]) for t in trials} | {trained(record["default"])}
    reseeded = {trained(record["default"]), trained(record["worst"]["calibration"])}
    assert len(list((out / "stages").glob("bench-*"))) == 1
    assert len(list((out / "stages").glob("finetune-*"))) == len(settings) + len(reseeded)
    conf = record["confirmation"]
    assert conf["seeds"] == [0, 1] and conf["verdict"] in (
        "CONFIRMED",
        "CONTRADICTED",
        "INCONCLUSIVE",
    )
    assert set(conf["difference"]) >= {"overall"}
    assert (out / "search.png").stat().st_size > 1000

    # the same command again: no model work, the same record
    t0 = time.perf_counter()
    code, stdout, _ = run_cli(args(task_file, base, space, out, 3), capsys)
    assert code == 0 and "Search: 3 trials" in stdout
    assert time.perf_counter() - t0 < 30
    assert calibrations(out) == [t["calibration"] for t in trials]

    # a larger budget adds trials; other settings are refused
    code, _, _ = run_cli(args(task_file, base, space, out, 4), capsys)
    assert code == 0 and len(calibrations(out)) == 4
    code, _, err = run_cli(
        args(task_file, base, space, out, 4, "--objective", "format:code"), capsys
    )
    assert code == 2 and "other settings (objective)" in err

    # a search resumed after its judge's head changed is refused before any trial
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(out / "optuna.journal"))
    )
    study = optuna.load_study(study_name="search", storage=storage)
    assert study.user_attrs["judge"] == {"spec": "keyword", "sha256": None}
    study.set_user_attr("judge", {"spec": "keyword", "sha256": "0" * 64})
    code, _, err = run_cli(args(task_file, base, space, out, 5), capsys)
    assert code == 2 and "another head of the judge 'keyword'" in err
    assert len(calibrations(out)) == 4
    study.set_user_attr("judge", {"spec": "keyword", "sha256": None})

    # a trial that failed (a fault since fixed) is asked again once by the same command, and its
    # retry stands in for it
    one = study.trials[1]
    attrs = {"error": "a fault since fixed", "calibration": one.user_attrs["calibration"]}
    study.add_trial(
        optuna.trial.create_trial(
            state=optuna.trial.TrialState.FAIL,
            params=one.params,
            distributions=one.distributions,
            user_attrs=attrs,
        )
    )
    for _ in range(2):
        code, _, _ = run_cli(args(task_file, base, space, out, 5), capsys)
        record = json.loads((out / "search.json").read_text())
        assert code == 0 and [t["number"] for t in record["trials"]] == [0, 1, 2, 3, 5]
        assert record["trials"][4]["calibration"] == one.user_attrs["calibration"]
        assert record["trials"][4]["state"] == "complete"

    code, stdout, _ = run_cli(["report", out], capsys)
    assert code == 0
    html = (out / "report.html").read_text()
    assert 'data-plot="search"' in html and "Search: 5 trials" in html
    assert "the worst feasible calibration against the default" in html


@pytest.mark.slow
def test_a_killed_search_resumes_to_the_trials_of_an_uninterrupted_one(
    models, task_file, bench, tmp_path, capsys
):
    base = base_config(models, task_file, bench, tmp_path)
    space = write_yaml(tmp_path, SPACE, "space.yaml")
    whole = tmp_path / "whole"
    assert run_cli(args(task_file, base, space, whole, 3), capsys)[0] == 0

    killed = tmp_path / "killed"
    cli = [str(a) for a in args(task_file, base, space, killed, 3)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "safetygap", *cli],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    while time.time() < deadline and not (killed / "trials" / "0001" / "sweep.json").is_file():
        assert proc.poll() is None, "the search ended before its second trial trained"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (killed / "search.json").is_file() or len(calibrations(killed)) < 3

    assert run_cli(args(task_file, base, space, killed, 3), capsys)[0] == 0
    assert calibrations(killed) == calibrations(whole)
    record = json.loads((killed / "search.json").read_text())
    assert [t["number"] for t in record["trials"]] == [0, 2, 3]  # trial 1 was killed, re-run as 2
    assert record["asked_again"] == [{"number": 1, "as": 2, "why": "killed"}]
