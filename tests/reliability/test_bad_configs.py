"""Bad sweep configs are refused in the first seconds, every mistake named at once, nothing
written: mistakes drawn in any combination, wrong values in every field of the schema, grids of
millions of stages; and the stage count the refusal quotes is the one the plan would make."""

import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from safetygap.sweep.config import SweepConfig, describe
from safetygap.sweep.plan import MAX_STAGES, count_stages, expand
from tests.helpers import run_cli

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SECONDS = 5.0  # the longest a user may wait to hear of a mistake
# Times are the CPU seconds of the check (time.process_time), after the modules it needs are
# imported once: wall time on a shared 2-core machine says more about the neighbours.

# A config that passes the check (registered tasks, no file to read, the embedded model).
GOOD = {
    "model": "embedded",
    "align": {"harmful": 8, "benign": 8},
    "bench": {"seeds": 4, "benign": 1},
    "finetune": {
        "tasks": ["classification", "code"],
        "samples": 8,
        "safety_mixes": [{"mix": "plain", "ratio": 0.1}, "none"],
    },
    "mitigations": [{"method": "scale", "lambda": 0.5}, {"method": "resta"}],
    "eval": {"judge": "keyword"},
    "helpfulness": {"limit": 4},
    "guards": [{"guard": "keyword"}],
}

# (field, a wrong value, what the error must name): each a mistake of its own.
MISTAKES = [
    ("finetune.tasks", ["code", "nosuchtask"], "finetune.tasks.1"),
    ("eval.judge", "nosuchjudge", "eval.judge"),
    ("guards", [{"guard": "nosuchguard"}], "guards.0"),
    ("bench.formats", ["plain", "poem"], "bench.formats.1"),
    ("eval.max_new_tokens", 0, "eval.max_new_tokens"),
    ("finetune.samples", -3, "finetune.samples"),
    ("mitigations", [{"method": "scale", "lambda": 7}], "mitigations.0"),
    ("helpfulness.kinds", {"code": "poetry"}, "helpfulness.kinds.code"),
    ("finetune.safety_mixes", ["none", {"mix": "nosuchmix", "ratio": 0.1}], "safety_mixes.1"),
    ("eval.system_prompts", [], "eval.system_prompts"),
    ("align.epochs", -1, "align.epochs"),
    ("colour", "red", "colour"),
    ("bench.seeds", "many", "bench.seeds"),
    ("model", "./no/such/folder", "model"),
]

# Combinations that cannot work, each with valid fields.
COMBINATIONS = [
    ("eval.system_prompts", ["off", "on"], "ptst"),  # with the ptst repair below
    ("resources", {"training": {"gpus": 1}}, "resources"),
    ("helpfulness.limit", {"clasification": 4}, "helpfulness.limit"),
    ("finetune.safety_mixes", [{"mix": "plain", "ratio": 0.1, "tasks": ["nope"]}, "none"], "nope"),
    ("guards", [{"guard": "keyword"}, {"guard": "keyword"}], "more than once"),
]


def changed(cfg: dict, dotted: str, value) -> dict:
    """A deep copy of `cfg` with `dotted` set (`a[].b`: the field of the list's first item)."""
    cfg = yaml.safe_load(yaml.safe_dump(cfg))
    *path, last = dotted.replace("[]", ".0").split(".")
    node = cfg
    for p in path:
        node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return cfg


def files(root: Path) -> set:
    return {p for p in root.rglob("*")}


def dry_run(tmp_path, capsys, cfg: dict, out: Path | None = None):
    """sweep --dry-run on `cfg`: (exit code, stderr, CPU seconds, paths written besides the
    config)."""
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(cfg))
    before = files(tmp_path)
    t0 = time.process_time()
    code, _, err = run_cli(["sweep", path, "--out", out or tmp_path / "out", "--dry-run"], capsys)
    return code, err, time.process_time() - t0, files(tmp_path) - before


@pytest.fixture(autouse=True)
def imported(tmp_path_factory, capsys):
    """The check's modules imported before anything is timed (a fresh process pays this once:
    about 0.3 s for `safetygap sweep --dry-run` on a bad config)."""
    dry_run(tmp_path_factory.mktemp("warm"), capsys, GOOD)


def test_the_good_config_passes(tmp_path, capsys):
    code, err, seconds, written = dry_run(tmp_path, capsys, GOOD)
    assert code == 0 and not written, err
    assert seconds < SECONDS


@FAST
@given(chosen=st.lists(st.sampled_from(range(len(MISTAKES))), min_size=1, unique=True))
def test_every_mistake_of_a_config_is_named_at_once(tmp_path_factory, capsys, tally, chosen):
    tmp_path = tmp_path_factory.mktemp("mistakes")
    cfg = GOOD
    for i in chosen:
        cfg = changed(cfg, *MISTAKES[i][:2])
    code, err, seconds, written = dry_run(tmp_path, capsys, cfg)
    assert code == 2 and err.startswith("safetygap: error: "), err
    missed = [MISTAKES[i][2] for i in chosen if MISTAKES[i][2] not in err]
    assert not missed, f"not named: {missed}\n{err}"
    if len(chosen) > 1:
        assert "problems" in err.splitlines()[0], err
    assert seconds < SECONDS and not written
    tally("bad sweep config: several mistakes at once", seconds=seconds, written=len(written))


def test_impossible_combinations_are_named_at_once(tmp_path, capsys, tally):
    cfg = changed(GOOD, "mitigations", [{"method": "ptst"}])
    for field, value, _ in COMBINATIONS:
        cfg = changed(cfg, field, value)
    code, err, seconds, written = dry_run(tmp_path, capsys, cfg)
    assert code == 2 and f"{len(COMBINATIONS)} problems" in err, err
    assert all(named in err for *_, named in COMBINATIONS), err
    assert seconds < SECONDS and not written
    tally(
        "bad sweep config: several mistakes at once",
        injected=len(COMBINATIONS),
        seconds=seconds,
        written=len(written),
    )


def test_config_and_out_mistakes_come_together(tmp_path, capsys, tally):
    """A wrong --out (a file) is named beside the config's mistakes, and the file is kept."""
    out = tmp_path / "notes.txt"
    out.write_text("mine")
    cfg = changed(GOOD, "eval.judge", "nosuchjudge")
    code, err, seconds, written = dry_run(tmp_path, capsys, cfg, out)
    assert code == 2 and "2 problems" in err and "eval.judge" in err, err
    assert f"--out {out} is a file, not a folder" in err and out.read_text() == "mine"
    assert seconds < SECONDS and not written
    tally("bad sweep config: --out is a file", seconds=seconds, written=len(written))


# Every field of the schema, each given values of other types and out of range.
FIELDS = [name for name, _ in describe() if name != "resources"]
WRONG = [None, 0, -1, 10**12, 2.5, "", "x", [], ["x"], {}, {"x": 1}, True]


@FAST
@given(field=st.sampled_from(FIELDS), value=st.sampled_from(WRONG))
def test_a_wrong_value_in_any_field_is_refused_or_taken(
    tmp_path_factory, capsys, tally, field, value
):
    """No traceback, never a run: exit 2 naming the field's section, or 0 where the value is
    one the field takes (a `seed` of 0, say)."""
    tmp_path = tmp_path_factory.mktemp("schema")
    try:
        cfg = changed(GOOD, field, value)
    except (KeyError, IndexError, TypeError):  # the good config has no list item there
        assume(False)
    code, err, seconds, written = dry_run(tmp_path, capsys, cfg)
    assert code in (0, 2), err
    if code == 2:
        assert field.split(".")[0].split("[")[0] in err, err
    assert seconds < SECONDS and not written
    tally("bad sweep config: a wrong value in a field", seconds=seconds, written=len(written))


def test_a_grid_of_millions_is_refused_with_its_count(tmp_path, capsys, tally):
    cfg = changed(GOOD, "finetune.seeds", list(range(2000)))
    cfg = changed(cfg, "align", {"seeds": list(range(300))})
    n = count_stages(SweepConfig.model_validate(cfg))
    assert n > 1_000_000
    code, err, seconds, written = dry_run(tmp_path, capsys, cfg)
    assert code == 2 and f"{n:,} stages" in err and f"{MAX_STAGES:,}" in err, err
    assert seconds < SECONDS and not written
    tally("bad sweep config: a grid of millions", seconds=seconds, written=len(written))


TASKS = ["classification", "code", "summarization"]


@st.composite
def grids(draw):
    """Valid configs of every shape the plan expands: seeds of both kinds, safety mixes and
    repairs limited to some tasks, system prompts, guards, helpfulness on or off."""
    tasks = draw(st.lists(st.sampled_from(TASKS), min_size=1, max_size=3, unique=True))
    some = st.none() | st.lists(st.sampled_from(tasks), min_size=1, unique=True)
    mix = st.builds(
        lambda m, r, t: {"mix": m, "ratio": r, **({"tasks": t} if t else {})},
        st.sampled_from(["plain", "all-formats"]),
        st.sampled_from([0.1, 0.3]),
        some,
    )
    mixes = ["none", *draw(st.lists(mix, max_size=3, unique_by=lambda m: (m["mix"], m["ratio"])))]
    repair = st.builds(
        lambda m, t: {**m, **({"tasks": t} if t else {})},
        st.sampled_from(
            [{"method": "scale", "lambda": 0.5}, {"method": "resta"}, {"method": "ptst"}]
        ),
        some,
    )
    repairs = draw(st.lists(repair, max_size=3, unique_by=lambda r: r["method"]))
    prompts = ["off"] if any(r["method"] == "ptst" for r in repairs) else ["off", "on"]
    cfg = {
        "finetune": {
            "tasks": tasks,
            "chat_formats": draw(st.sampled_from([["native"], ["native", "alpaca"]])),
            "seeds": draw(st.lists(st.integers(0, 9), min_size=1, max_size=3, unique=True)),
            "safety_mixes": draw(st.permutations(mixes)),
        },
        "mitigations": repairs,
        "eval": {"system_prompts": draw(st.sampled_from([prompts[:1], prompts]))},
        "guards": draw(st.sampled_from([[], [{"guard": "keyword"}]])),
    }
    if draw(st.booleans()):
        cfg["helpfulness"] = {}
    if draw(st.booleans()):
        cfg["align"] = {"seeds": draw(st.lists(st.integers(0, 3), min_size=1, unique=True))}
    else:
        cfg["unaligned"] = "HuggingFaceTB/SmolLM2-135M"  # what resta reads, nothing aligned
    return cfg


@FAST
@given(raw=grids())
def test_the_stage_count_is_the_plans(raw):
    cfg = SweepConfig.model_validate(raw)
    assert count_stages(cfg) == len(expand(cfg))


@pytest.mark.parametrize("preset", ["quick", "paper-mini", "paper", "repair-map"])
def test_the_stage_count_of_each_preset(preset):
    from safetygap.sweep.config import load_config

    cfg = load_config(preset)
    assert count_stages(cfg) == len(expand(cfg))


def test_an_unknown_preset_lists_the_presets(tmp_path, capsys, tally):
    t0 = time.process_time()
    code, _, err = run_cli(["sweep", "quik", "--out", tmp_path / "out", "--dry-run"], capsys)
    seconds = time.process_time() - t0
    assert code == 2 and "quik: no such config file or preset" in err and "quick" in err, err
    assert seconds < SECONDS and not (tmp_path / "out").exists()
    tally("bad sweep config: an unknown preset", seconds=seconds, written=0)
