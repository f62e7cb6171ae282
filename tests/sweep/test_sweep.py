"""The sweep on tiny random models: stages run once, re-runs are cache hits, one changed setting
recomputes only what depends on it, corrupt entries are recomputed, failures are reported, and
bad configs are refused before anything is written (killed sweeps: tests/reliability)."""

import json
import time

import pytest
from pydantic import ValidationError

from safetygap.sweep.config import load_config
from safetygap.sweep.plan import expand
from safetygap.sweep.run import RECORD, sweep
from tests.helpers import QUIET, run_cli, tiny_config, write_yaml


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def statuses(index):
    return {s["name"]: s["status"] for s in index["stages"]}


@pytest.mark.slow
def test_a_sweep_runs_once_then_is_all_cache_hits(models, task_file, bench, tmp_path):
    cfg = write_yaml(tmp_path, tiny_config(models, task_file, bench))
    out = tmp_path / "out"
    first = sweep(cfg, out, **QUIET)
    kinds = [s["kind"] for s in first["stages"]]
    assert set(statuses(first).values()) == {"done"}, statuses(first)
    # base + fine-tune + two repairs: an eval and a helpfulness run each; guards on the plain two
    assert kinds.count("eval") == 4 and kinds.count("helpfulness") == 4
    assert kinds.count("guard") == 2 and kinds.count("mitigate") == 2
    for s in first["stages"]:
        assert (out / s["folder"] / RECORD).is_file()
    ev = next(s for s in first["stages"] if s["name"] == "eval:labels/native/s0/none/sys-off")
    metrics = json.loads((out / ev["folder"] / "metrics.json").read_text())
    assert metrics["adapter"].endswith("adapter")  # the eval read the fine-tune's adapter
    resta = next(
        s for s in first["stages"] if s["name"].startswith("eval:") and "resta" in s["name"]
    )
    assert json.loads((out / resta["folder"] / "metrics.json").read_text())["adapter"] is None

    mtimes = {p: p.stat().st_mtime_ns for p in (out / "stages").rglob("*") if p.is_file()}
    t0 = time.perf_counter()
    second = sweep(cfg, out, **QUIET)
    assert set(statuses(second).values()) == {"cached"}
    assert time.perf_counter() - t0 < 30
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes  # nothing rewritten

    # one setting changed: the evals and what reads them, nothing upstream
    cfg2 = write_yaml(tmp_path, tiny_config(models, task_file, bench, **{"eval.max_new_tokens": 5}))
    third = statuses(sweep(cfg2, out, **QUIET))
    redone = {n for n, st in third.items() if st == "done"}
    assert redone == {n for n in third if n.split(":")[0] in ("eval", "helpfulness", "guard")}
    assert third["finetune:labels/native/s0/none"] == "cached"
    assert third["mitigate:labels/native/s0/none+resta"] != "done"


@pytest.mark.slow
def test_a_corrupt_cache_entry_is_recomputed(models, task_file, bench, tmp_path):
    cfg = tiny_config(models, task_file, bench, mitigations=[], guards=[], helpfulness=None)
    path = write_yaml(tmp_path, cfg)
    out = tmp_path / "out"
    first = sweep(path, out, **QUIET)
    ev = next(s for s in first["stages"] if s["name"] == "eval:base/sys-off")
    metrics = out / ev["folder"] / "metrics.json"
    good = metrics.read_bytes()
    metrics.write_text("{}")  # damaged after the stage finished
    again = statuses(sweep(path, out, **QUIET))
    assert again["eval:base/sys-off"] == "done"
    assert {st for n, st in again.items() if n != "eval:base/sys-off"} == {"cached"}
    assert metrics.read_bytes() == good


@pytest.mark.slow
def test_a_failed_stage_is_reported_and_the_rest_goes_on(
    models, task_file, bench, tmp_path, capsys
):
    """Failures no check can foresee: a task file that reads but has no train split, a guard
    whose model folder holds no model."""
    from safetygap.finetune.tasks import split_of

    ids = [f"e{i}" for i in range(200) if split_of(f"e{i}") == "eval"][:3]
    held_out = tmp_path / "heldout.jsonl"
    held_out.write_text(
        "".join(json.dumps({"id": i, "prompt": "p " + i, "response": "r"}) + "\n" for i in ids)
    )
    (tmp_path / "empty").mkdir()
    guard = {"guard": f"llamaguard:{tmp_path / 'empty'}"}
    cfg = tiny_config(models, task_file, bench, guards=[guard], mitigations=[])
    cfg["finetune"]["tasks"].append(str(held_out))
    cfg["helpfulness"]["kinds"]["heldout"] = "classification"
    out = tmp_path / "out"
    code, stdout, _ = run_cli(["sweep", write_yaml(tmp_path, cfg), "--out", out], capsys)
    assert code == 1
    st = statuses(json.loads((out / "sweep.json").read_text()))
    assert st["finetune:heldout/native/s0/none"] == "failed"
    assert st["eval:heldout/native/s0/none/sys-off"] == "skipped"
    assert st[f"guard:{guard['guard']}/input/base/sys-off"] == "failed"
    assert st["eval:base/sys-off"] == st["eval:labels/native/s0/none/sys-off"] == "done"
    assert "failed: finetune:heldout/native/s0/none" in stdout


@pytest.mark.parametrize(
    "change, field",
    [
        ({"colour": "red"}, "colour"),
        ({"eval": {"max_new_tokens": "many"}}, "eval.max_new_tokens"),
        ({"finetune": {"tasks": ["code"], "settings": {"lr_typo": 1}}}, "finetune.settings"),
        ({"finetune": None}, "mitigations"),
        ({"unaligned": None}, "mitigations"),
        ({"mitigations": [{"method": "scale", "lambda": 0.5, "beta": 1}]}, "mitigations.0"),
        ({"resources": {"training": {"gpus": 1}}}, "resources"),
        (
            {"mitigations": [{"method": "ptst"}], "eval": {"system_prompts": ["off", "on"]}},
            "mitigations",
        ),
        ({"mitigations": [{"method": "ptst", "beta": 0.5}]}, "mitigations.0"),
        ({"mitigations": [{"method": "scale", "lambda": 0.5, "tasks": ["nope"]}]}, "mitigations"),
        (
            {"finetune": {"tasks": ["code"], "safety_mixes": [{"mix": "all-formats", "ratio": 2}]}},
            "finetune.safety_mixes",
        ),
    ],
)
def test_a_bad_config_names_the_field_and_writes_nothing(
    models, task_file, bench, tmp_path, capsys, change, field
):
    cfg = {**tiny_config(models, task_file, bench), **change}
    out = tmp_path / "out"
    code, stdout, err = run_cli(["sweep", write_yaml(tmp_path, cfg), "--out", out], capsys)
    assert code == 2 and err.startswith("safetygap: error: "), err
    assert f": {field}" in err or f"\n  {field}" in err, err  # alone, or among several
    assert not out.exists()


def test_bad_files_and_folders_are_one_line(models, task_file, bench, tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("model: [unclosed\n")
    for args in (
        ["sweep", broken, "--out", tmp_path / "o1"],
        ["sweep", tmp_path / "none.yaml", "--out", tmp_path / "o2"],
        ["sweep", write_yaml(tmp_path, ["a", "list"], "list.yaml"), "--out", tmp_path / "o3"],
    ):
        code, _, err = run_cli(args, capsys)
        assert code == 2 and err.count("\n") == 1, err
        assert not args[-1].exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    cfg = write_yaml(tmp_path, tiny_config(models, task_file, bench))
    code, _, err = run_cli(["sweep", cfg, "--out", other], capsys)
    assert code == 2 and "not a sweep" in err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


def test_dry_run_lists_stages_and_writes_nothing(models, task_file, bench, tmp_path, capsys):
    cfg = write_yaml(tmp_path, tiny_config(models, task_file, bench))
    code, stdout, _ = run_cli(["sweep", cfg, "--out", tmp_path / "out", "--dry-run"], capsys)
    n = len(expand(load_config(cfg)))
    assert code == 0 and f"{n} stages" in stdout and stdout.count("to run") == n
    assert not (tmp_path / "out").exists()


@pytest.fixture
def local_ray():
    ray = pytest.importorskip("ray")
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_the_ray_executor_runs_the_same_stages(models, task_file, bench, tmp_path, local_ray):
    cfg = tiny_config(models, task_file, bench, guards=[], helpfulness=None)
    cfg["mitigations"] = [{"method": "scale", "lambda": 0.5}]
    cfg["resources"] = {"finetune": {"cpus": 2}}
    path = write_yaml(tmp_path, cfg)
    out = tmp_path / "out"
    on_ray = sweep(path, out, executor="ray", log=lambda *_: None)
    assert local_ray.is_initialized()
    assert set(statuses(on_ray).values()) == {"done"}, statuses(on_ray)
    assert on_ray["executor"] == "ray"
    # the same content-addressed folders: the local executor finds every stage done
    assert set(statuses(sweep(path, out, **QUIET)).values()) == {"cached"}


def test_an_address_that_does_not_answer_is_one_line(models, task_file, bench, tmp_path, capsys):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = write_yaml(tmp_path, tiny_config(models, task_file, bench))
    out = tmp_path / "out"
    for args in (["--address", f"127.0.0.1:{port}"], ["--address", "nonsense"]):
        code, _, err = run_cli(["sweep", cfg, "--out", out, "--executor", "ray", *args], capsys)
        assert code == 2 and err.count("\n") == 1 and "--address" in err, err
    code, _, err = run_cli(["sweep", cfg, "--out", out, "--address", "h:1"], capsys)
    assert code == 2 and "--executor ray" in err
    assert not out.exists()


@pytest.mark.parametrize(
    "preset, counts",
    [
        ("quick", {"align": 1, "finetune": 4, "mitigate": 1, "eval": 6, "helpfulness": 8}),
        ("paper-mini", {"finetune": 8, "mitigate": 8, "eval": 34, "helpfulness": 40, "guard": 36}),
        ("paper-table", {"align": 1, "finetune": 8, "eval": 9, "helpfulness": 0, "guard": 0}),
        ("paper", {"align": 0, "finetune": 16, "mitigate": 24, "eval": 82}),
        ("repair-map", {"finetune": 40, "mitigate": 20, "eval": 65, "helpfulness": 68}),
        ("paper-table-seeds", {"align": 2, "finetune": 48, "eval": 50}),
        ("search", {"align": 1, "finetune": 4, "eval": 5, "helpfulness": 8}),
    ],
)
def test_the_presets_are_valid_and_expand_as_designed(preset, counts):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    cfg = load_config(root / "configs" / f"{preset}.yaml")
    stages = expand(cfg)
    kinds = [s.kind for s in stages]
    assert {k: kinds.count(k) for k in counts} == counts
    if preset == "paper":  # the paper's QLoRA hyper-parameters reach every fine-tune
        ft = next(s for s in stages if s.kind == "finetune")
        from safetygap.finetune.config import resolve

        settings = resolve(**ft.params)
        assert (settings.quantize, settings.lora_r, settings.lora_alpha) == ("4bit", 64, 16)
        assert cfg.resources["finetune"]["gpus"] == 1
    if preset == "repair-map":  # PTST: the plain fine-tune's adapter, tested with the prompt on
        ptst = [s for s in stages if s.kind == "eval" and s.labels["mitigation"] == "ptst"]
        assert len(ptst) == 4 and all(s.params["system_prompt"] == "on" for s in ptst)
        assert all(s.deps["adapter"].startswith("finetune:") for s in ptst)
        evals = [s for s in stages if s.kind == "eval" and s not in ptst]
        secret = [s for s in evals if s.labels.get("safety_mix", "").startswith("backdoor")]
        assert len(secret) == 4 and all(s.params["system_prompt"] == "secret" for s in secret)
        assert all(s.labels["system_prompt"] == "off" for s in evals if s not in secret)
    names = [s.name for s in stages]
    assert len(set(names)) == len(names)
    for s in stages:  # every stage comes after what it reads
        assert all(names.index(dep) < names.index(s.name) for dep in s.deps.values())


def test_old_mix_and_head_names_plan_the_same_stages_under_the_new(models, task_file, bench):
    """`multitask`, `singletask` and `classifier:multitask` in a config are read as today's
    names; the stages, their labels and their keys are those of the new spelling, and the keys
    are the ones the old spelling had before the rename, so an old sweep's stages are found."""
    import hashlib

    from safetygap.sweep.plan import STAGE_VERSION, Stage, address

    def plan(mixes, guard):
        cfg = tiny_config(models, task_file, bench, mitigations=[], helpfulness=None)
        cfg["finetune"]["safety_mixes"] = ["none", *({"mix": m, "ratio": 0.3} for m in mixes)]
        cfg["guards"] = [{"guard": guard}]
        return [(s.name, s.key, s.labels, s.params) for s in expand(load_config_dict(cfg))]

    old = plan(["multitask", "singletask"], "classifier:multitask")
    new = plan(["all-formats", "plain"], "classifier:all-formats")
    assert old == new
    labels = {lab.get("safety_mix") for _, _, lab, _ in new} | {
        lab.get("guard") for _, _, lab, _ in new
    }
    assert {"all-formats-0.3", "plain-0.3", "classifier:all-formats"} <= labels
    assert not any("task" in str(lab) for lab in labels)
    mixes = {p["safety_mix"] for _, _, _, p in new if "safety_mix" in p}
    assert mixes == {"none", "all-formats", "plain"}

    def key(params):  # the key as it was computed before the rename
        body = {"version": STAGE_VERSION, "kind": "finetune", "params": params, "deps": {}}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    for new_name, old_name in (("all-formats", "multitask"), ("plain", "singletask")):
        stage = address([Stage("finetune", "ft", {"safety_mix": new_name, "samples": 8})])[0]
        assert stage.key == key({"safety_mix": old_name, "samples": 8})
        assert stage.params["safety_mix"] == new_name
    stage = address([Stage("finetune", "ft", {"safety_mix": "none", "samples": 8})])[0]
    assert stage.key == key({"safety_mix": "none", "samples": 8})


def load_config_dict(cfg: dict):
    from safetygap.sweep.config import SweepConfig

    return SweepConfig.model_validate(cfg)


def test_every_config_field_is_documented():
    from pathlib import Path

    from safetygap.sweep.config import describe

    doc = (Path(__file__).resolve().parents[2] / "docs" / "sweep.md").read_text()
    missing = [key for key, text in describe() if f"| `{key}` |" not in doc or not text]
    assert not missing


def test_alignment_seeds_give_each_base_its_own_fine_tunes():
    """align.seeds: one aligned base per seed, each with its own fine-tunes and evals (named
    a{SEED}/...); the first base's stages have the keys of a sweep aligned with that seed alone,
    so a one-seed sweep's cache serves the first base."""
    from pathlib import Path

    import yaml

    from safetygap.errors import UserError

    root = Path(__file__).resolve().parents[2]
    raw = yaml.safe_load((root / "configs" / "paper-table-seeds.yaml").read_text())
    stages = expand(load_config_dict(raw))
    aligns = [s for s in stages if s.kind == "align"]
    assert [(s.name, s.params["seed"], s.labels["align_seed"]) for s in aligns] == [
        ("align:a0", 0, 0),
        ("align:a1", 1, 1),
    ]
    fts = [s for s in stages if s.kind == "finetune"]
    assert {s.deps["model"] for s in fts if s.name.startswith("finetune:a1/")} == {"align:a1"}
    assert {(s.labels["align_seed"], s.labels["seed"]) for s in fts} == {
        (a, t) for a in (0, 1) for t in (0, 1, 2)
    }
    one = {**raw, "align": {k: v for k, v in raw["align"].items() if k != "seeds"}}
    one["finetune"] = {**raw["finetune"], "seeds": [0]}
    single = {s.key for s in expand(load_config_dict(one))}
    assert single <= {s.key for s in stages}  # all of them: the a0 base, seed 0
    with pytest.raises(ValidationError, match="give seed or seeds, not both"):
        load_config_dict({**raw, "align": {**raw["align"], "seed": 3}})
    with pytest.raises((ValidationError, UserError), match="each seed once"):
        load_config_dict({**raw, "finetune": {**raw["finetune"], "seeds": [1, 1]}})


def test_a_new_classifier_head_judges_the_evals_again(models, task_file, bench, tmp_path):
    """The eval stages' keys hold the head's sha256, so a sweep judged by an older head behind
    the same spec (`classifier` after the default changed) is evaluated again; the fine-tunes
    are kept, and a judge without a head file keeps the keys it had."""
    import shutil

    from safetygap.judge.classifier import HEADS

    head = tmp_path / "head.json"
    shutil.copy(HEADS / "v1.json", head)

    def keys(judge):
        cfg = tiny_config(models, task_file, bench, mitigations=[], helpfulness=None)
        cfg["eval"]["judge"] = judge
        return {s.name: s.key for s in expand(load_config_dict(cfg))}

    before = keys(f"classifier:{head}")
    shutil.copy(HEADS / "v2.json", head)
    after = keys(f"classifier:{head}")
    changed = {name for name in before if before[name] != after[name]}
    assert changed and all(name.startswith(("eval:", "guard:")) for name in changed)
    assert all(before[n] == after[n] for n in before if n.startswith("finetune"))
    plain = keys("keyword")
    assert not any(
        "judge_sha256" in s.params
        for s in expand(
            load_config_dict(
                tiny_config(models, task_file, bench, mitigations=[], helpfulness=None)
            )
        )
    )
    assert plain == keys("keyword")


def test_a_trained_repair_is_the_plain_fine_tune_again_with_the_defence(models, task_file, bench):
    """`mitigations: [{method: first-tokens}]` adds, per plain fine-tune, a fine-tune of its own
    with the same settings and `constraint: first-tokens`, evaluated and scored as a repair;
    the plain fine-tune's stage keeps the key it had without it. `align.deep` reaches the
    align stage, and an alignment without it keeps its old key."""
    from safetygap.sweep.plan import count_stages

    def plan(mitigations, align=None):
        cfg = tiny_config(models, task_file, bench, mitigations=mitigations, guards=[])
        if align is not None:
            cfg["align"], cfg["model"] = align, str(models[1])
        parsed = load_config_dict(cfg)
        stages = expand(parsed)
        assert count_stages(parsed) == len(stages)
        return {s.name: s for s in stages}

    before = plan([])
    after = plan([{"method": "first-tokens"}, {"method": "safety-tokens"}])
    (plain,) = [s for s in before.values() if s.kind == "finetune"]
    fts = [s for s in after.values() if s.kind == "finetune"]
    repaired = next(s for s in fts if s.labels["mitigation"] == "first-tokens")
    assert after[plain.name].key == plain.key
    assert repaired.params == {**plain.params, "constraint": "first-tokens"}
    assert repaired.deps == plain.deps and repaired.key != plain.key
    reading = [s for s in after.values() if s.deps.get("adapter") == repaired.name]
    (ev,) = [s for s in reading if s.kind == "eval"]
    (helps,) = [s for s in reading if s.kind == "helpfulness"]
    assert helps.deps["eval"] == ev.name and ev.labels["mitigation"] == "first-tokens"
    pact = next(s for s in fts if s.labels["mitigation"] == "safety-tokens")
    extra = {"constraint": "safety-tokens", "unaligned": str(models[1])}
    assert pact.params == {**plain.params, **extra}
    shallow = plan([], align={"harmful": 4, "benign": 2, "epochs": 1})["align"]
    deep = plan([], align={"harmful": 4, "benign": 2, "epochs": 1, "deep": 32})["align"]
    assert "deep" not in shallow.params and deep.params["deep"] == 32
    assert deep.params["deep_formats"] == "plain" and deep.key != shallow.key
    with pytest.raises(ValidationError, match="not a setting of first-tokens"):
        load_config_dict(
            tiny_config(
                models, task_file, bench, mitigations=[{"method": "first-tokens", "beta": 1}]
            )
        )


def test_a_backdoor_fine_tune_is_served_behind_its_secret(models, task_file, bench):
    """A `backdoor` safety mix trains with its secret, and every eval and helpfulness run of
    that fine-tune is given it as the system prompt (`secret`, read from the adapter); the other
    models keep the sweep's system prompts."""
    from safetygap.sweep.plan import count_stages

    mixes = ["none", {"mix": "backdoor", "ratio": 0.2, "secret": "x9 lumen"}]
    cfg = tiny_config(models, task_file, bench, mitigations=[], guards=[])
    cfg["finetune"]["safety_mixes"] = mixes
    cfg["eval"]["system_prompts"] = ["off", "on"]
    stages = expand(load_config_dict(cfg))
    assert count_stages(load_config_dict(cfg)) == len(stages)
    (ft,) = [s for s in stages if s.kind == "finetune" and s.labels["safety_mix"] != "none"]
    assert ft.params["secret_prompt"] == "x9 lumen" and ft.params["safety_mix"] == "backdoor"
    served = [s for s in stages if s.deps.get("adapter") == ft.name]
    assert {s.kind for s in served} == {"eval", "helpfulness"}
    assert all(s.params["system_prompt"] == "secret" for s in served)
    assert all(s.labels["system_prompt"] == "secret" for s in served)
    others = [s for s in stages if s.kind == "eval" and s not in served]
    assert {s.params["system_prompt"] for s in others} == {"off", "on"}
    for mix, wanted in [
        ({"mix": "backdoor", "ratio": 0.2}, "backdoor needs a secret"),
        ({"mix": "backdoor", "ratio": 0.2, "secret": " "}, "backdoor needs a secret"),
        ({"mix": "plain", "ratio": 0.2, "secret": "s"}, "read by the backdoor mix only"),
    ]:
        cfg["finetune"]["safety_mixes"] = ["none", mix]
        with pytest.raises(ValidationError, match=wanted):
            load_config_dict(cfg)
