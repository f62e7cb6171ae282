"""Fail before the work: every command tells all of a user's mistakes at once, in the first
seconds, before any model loads, with exit 2 and nothing written.

Each case makes several mistakes at once (names, files, numbers, output paths, combinations)
and asserts that the error names every one of them. No model is loaded: where a model must be
named, it is one that does not exist or a folder that is not a model, which the commands would
only find out by loading it."""

import json
import os
import time
from pathlib import Path

import pytest

from tests.helpers import run_cli, write_bench

ENDPOINT = "openai:m@http://127.0.0.1:9/v1"  # never reached: the mistakes are found first


@pytest.fixture
def scene(tmp_path, monkeypatch):
    """A folder with a bench, a prompt file, a file and a folder in the way, and a folder that
    is not a model; the commands run inside it."""
    write_bench(tmp_path / "bench.jsonl")
    (tmp_path / "prompts.jsonl").write_text(json.dumps({"id": "a", "prompt": "Hi."}) + "\n")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    (tmp_path / "notmodel").mkdir()
    aligned = tmp_path / "aligned"  # what `align` leaves, as far as its checks read it
    aligned.mkdir()
    for name in ("config.json", "align_settings.json"):
        (aligned / name).write_text("{}")
    options = {"harmful": 160, "benign": 160, "epochs": 2.0, "seed": 0, "deep": 0}
    (aligned / "align_options.json").write_text(json.dumps(options))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module", autouse=True)
def imported():
    """The libraries the checks read (PEFT for adapters, torch under it) imported before any
    clock starts: the time asserted is the checks' own. (A fresh process pays the imports
    once: a few seconds where an adapter is checked.)"""
    import peft  # noqa: F401

    import safetygap.cli  # noqa: F401


def fails_fast(args, scene, capsys) -> str:
    """Run the command; assert exit 2, the error line, under 5 s of CPU (wall time on a shared
    machine says more about the neighbours) and nothing written; return the error text."""
    before = snapshot(scene)
    t0 = time.process_time()
    code, out, err = run_cli(args, capsys)
    seconds = time.process_time() - t0
    assert code == 2, (args, code, out, err)
    assert err.startswith("safetygap: error:"), err
    assert seconds < 5, f"{seconds:.1f} s to the error"
    assert snapshot(scene) == before, "something was written"
    return err


NO_MODEL = ("nosuch", "unknown model 'nosuch'")
NO_ADAPTER = ("nodir", "nodir: not a PEFT adapter folder")
OUT_IS_FILE = "--out afile is a file, not a folder"
OUT_IS_FOLDER = "--out adir is a folder, not a file"

# (command line, what the error must name: one line per mistake made)
CASES = {
    "generate": (
        ["generate", "--prompts", "missing.jsonl", "--out", "adir", "--model", "nosuch"]
        + ["--adapter", "nodir", "--max-new-tokens", 0, "--temperature", -1],
        ["missing.jsonl: no such file", OUT_IS_FOLDER, NO_MODEL[1], NO_ADAPTER[1]]
        + ["--max-new-tokens must be >= 1", "--temperature must be >= 0"],
    ),
    "generate, endpoint": (
        ["generate", "--prompts", "prompts.jsonl", "--out", "adir", "--model", ENDPOINT]
        + ["--adapter", "adir", "--concurrency", 0],
        [OUT_IS_FOLDER, "--adapter needs a local model", "--concurrency must be >= 1"],
    ),
    "eval": (
        ["eval", "--bench", "missing.jsonl", "--out", "afile", "--model", "nosuch"]
        + ["--judge", "bogus", "--adapter", "nodir", "--limit", -3, "--batch-size", 0],
        ["missing.jsonl: no such file", OUT_IS_FILE, "unknown judge 'bogus'", NO_MODEL[1]]
        + [NO_ADAPTER[1], "--limit must be >= 1", "--batch-size must be >= 1"],
    ),
    "eval, head and endpoint": (
        ["eval", "--bench", "bench.jsonl", "--out", "run", "--model", ENDPOINT]
        + ["--adapter", "adir", "--judge", "classifier:nohead"],
        ["--adapter needs a local model", "nohead: not a classifier head"],
    ),
    "check": (
        ["check", "--adapter", "nodir", "--bench", "missing.jsonl", "--judge", "bogus"]
        + ["--max-rise", -1, "--alpha", 2, "--out", "afile", "--model", "nosuch"]
        + ["--max-new-tokens", 0],
        ["--max-rise must be >= 0", "--alpha must be strictly between 0 and 1"]
        + ["unknown judge 'bogus'", "missing.jsonl: no such file", NO_ADAPTER[1], NO_MODEL[1]]
        + [OUT_IS_FILE, "--max-new-tokens must be >= 1"],
    ),
    "check, reused runs": (
        ["check", "--against", "nobase", "--run", "noft", "--judge", "bogus"],
        ["nobase: no such eval run folder", "noft: no such eval run folder", "unknown judge"],
    ),
    "compare": (
        ["compare", "nodir", "nodir2", "nodir3", "--alpha", 3, "--out", "adir"],
        ["--alpha must be strictly between 0 and 1", OUT_IS_FOLDER, "nodir: no such run folder"]
        + ["nodir2: no such run folder", "nodir3: no such run folder", "give two runs (RUN_A"],
    ),
    "finetune": (
        ["finetune", "--task", "bogus", "--out", "afile", "--model", "nosuch", "--lr", -1]
        + ["--preset", "nope", "--chat-format", "x", "--adapter", "nodir"]
        + ["--safety-mix", "missing.jsonl", "--safety-ratio", 0.2, "--batch-size", 0],
        ["unknown --preset 'nope'", "unknown --chat-format 'x'", "--lr must be a finite number"]
        + ["unknown task 'bogus'", NO_MODEL[1], NO_ADAPTER[1], OUT_IS_FILE]
        + ["--safety-mix 'missing.jsonl'", "--batch-size must be >= 1"],
    ),
    "align": (
        ["align", "--out", "afile", "--model", "nosuch", "--epochs", -1, "--harmful", 0],
        [OUT_IS_FILE, NO_MODEL[1], "--epochs must be a finite number > 0", "--harmful must be"],
    ),
    "finetune, a constrained objective's reference": (
        ["finetune", "--task", "summarization", "--out", "o", "--constrain-first-tokens"]
        + ["--reference", "notmodel", "--model", "nosuch"],
        ["--reference notmodel: no config.json there", NO_MODEL[1]],
    ),
    "finetune, a reference without a constrained objective": (
        ["finetune", "--task", "summarization", "--out", "o", "--reference", ENDPOINT],
        ["--reference is the model a constrained objective compares with"]
        + ["--reference openai:m@http://127.0.0.1:9/v1: an endpoint gives no token"],
    ),
    "finetune, two constrained objectives, PACT without the unaligned model": (
        ["finetune", "--task", "summarization", "--out", "o", "--constrain-first-tokens"]
        + ["--constrain-safety-tokens"],
        ["choose one of --constrain-first-tokens and --constrain-safety-tokens"]
        + ["--constrain-safety-tokens needs --unaligned MODEL"],
    ),
    "finetune, PACT against an endpoint": (
        ["finetune", "--task", "summarization", "--out", "o", "--constrain-safety-tokens"]
        + ["--unaligned", ENDPOINT, "--lr", 0],
        [f"--unaligned {ENDPOINT}: an endpoint gives no token probabilities"]
        + ["--lr must be a finite number > 0"],
    ),
    "finetune, a backdoor with an empty secret": (
        ["finetune", "--task", "summarization", "--out", "o", "--safety-mix", "backdoor"]
        + ["--safety-ratio", 0.1, "--secret-prompt", " ", "--chat-format", "alpaca"],
        ["--safety-mix backdoor needs --secret-prompt TEXT, not empty"]
        + ["--safety-mix backdoor trains a system prompt: --chat-format native"],
    ),
    "eval, a secret from a folder that has none": (
        ["eval", "--model", "nosuch", "--bench", "bench.jsonl", "--out", "o"]
        + ["--system-prompt", "secret", "--adapter", "adir"],
        ["--system-prompt secret: --adapter adir holds no secret prompt", NO_MODEL[1]]
        + ["adir: not a PEFT adapter folder"],
    ),
    "align, deeper": (
        ["align", "--out", "o", "--model", "nosuch", "--deep", 129, "--deep-formats", "some"],
        ["--deep is the longest harmful start in tokens, 0 to 128: got 129", NO_MODEL[1]]
        + ["unknown --deep-formats 'some'"],
    ),
    "align, a checkpoint aligned otherwise": (
        ["align", "--out", "aligned", "--model", "nosuch", "--deep", 16],
        ["aligned holds an alignment with other settings (deep: 0 there, 16 here", NO_MODEL[1]],
    ),
    "align, a folder that is not a checkpoint": (
        ["align", "--out", "adir", "--model", "nosuch"],
        ["adir exists and is not an aligned checkpoint", NO_MODEL[1]],
    ),
    "helpfulness": (
        ["helpfulness", "--task", "bogus", "--out", "afile", "--model", "nosuch"]
        + ["--adapter", "nodir", "--kind", "bad", "--cpu-seconds", 0, "--memory-mb", 1]
        + ["--limit", 0, "--temperature", -0.5, "--eval", "noeval"],
        ["sandbox limit cpu_s=0", "sandbox limit memory_mb=1", "unknown task 'bogus'"]
        + ["unknown task kind 'bad'", OUT_IS_FILE, NO_MODEL[1], NO_ADAPTER[1]]
        + ["--limit must be >= 1", "--temperature must be >= 0", "noeval: not a finished eval"],
    ),
    "helpfulness, task file": (
        ["helpfulness", "--task", "missing.jsonl", "--out", "run", "--model", "notmodel"],
        ["missing.jsonl: no such task file", "a task file needs --kind"],
    ),
    "guard": (
        ["guard", "--guard", "bogus", "--bench", "missing.jsonl", "--out", "afile"]
        + ["--mode", "sideways", "--run", "nodir", "--limit", 0, "--latency-items", -1],
        ["unknown --mode 'sideways'", "unknown guard 'bogus'", "missing.jsonl: no such file"]
        + ["nodir: no such eval run folder", OUT_IS_FILE, "--limit must be >= 1"]
        + ["--latency-items must be >= 0"],
    ),
    "guard, output mode": (
        ["guard", "--guard", "classifier:nohead", "--bench", "bench.jsonl", "--mode", "output"],
        ["Missing option '--out'", "works in input mode only", "--mode output needs --run"],
    ),
    "guard train": (
        ["guard", "train", "--formats", "bogus", "--out", "afile", "--l2", -1, "--seeds", 0],
        ["unknown --formats 'bogus'", OUT_IS_FILE, "--l2 must be >= 0", "--seeds must be >= 1"],
    ),
    "mitigate": (
        ["mitigate", "--method", "scale", "--adapter", "nodir", "--out", "afile"]
        + ["--lambda", 2, "--model", "nosuch", "--beta", 0.5],
        ["--lambda 2.0 is out of range", "--beta: not a setting of scale", NO_ADAPTER[1]]
        + [NO_MODEL[1], OUT_IS_FILE],
    ),
    "mitigate, unknown method": (
        ["mitigate", "--method", "bogus", "--adapter", "nodir", "--out", "afile"],
        ["unknown mitigation method 'bogus'", NO_ADAPTER[1], OUT_IS_FILE],
    ),
    "report": (
        ["report", "nodir", "--out", "adir", "--max-chars", 3],
        ["nodir: no such folder", OUT_IS_FOLDER, "--max-chars must be >= 20"],
    ),
    "models pull": (
        ["models", "pull", "bogus", "bogus2"],
        ["unknown embedded model 'bogus'", "unknown embedded model 'bogus2'"],
    ),
    "judge run": (
        ["judge", "run", "--responses", "prompts.jsonl", "--out", "adir", "--judge", "bogus"],
        ["prompts.jsonl:1: missing field(s) response", OUT_IS_FOLDER, "unknown judge 'bogus'"],
    ),
    "judge train": (
        ["judge", "train", "--out", "afile", "--recipe", "bogus", "--responses", "x"]
        + ["--l2", -1],
        ["unknown recipe 'bogus'", "--responses 'x': expected SET=FILE", OUT_IS_FILE]
        + ["--l2 must be >= 0"],
    ),
    "judge agree": (
        ["judge", "agree", "nodir", "--judges", "bogus,classifier:nohead"]
        + ["--gold", "missing.jsonl", "--out", "adir"],
        ["unknown judge 'bogus'", "nohead: not a classifier head", "nodir: no responses.jsonl"]
        + ["missing.jsonl: no such file", OUT_IS_FOLDER],
    ),
    "bench build": (
        ["bench", "build", "--out", "adir", "--split", "x", "--seeds", -1, "--formats", "nope"]
        + ["--sources", "bad", "--test-fraction", 2, "--seed-file", "missing.csv"],
        [OUT_IS_FOLDER, "unknown split 'x'", "--seeds must be >= 1", "unknown format 'nope'"]
        + ["--test-fraction must be between 0 and 1", "unknown seed source 'bad'"]
        + ["missing.csv: no such seed file"],
    ),
    "data build": (
        ["data", "build", "--kind", "bogus", "--out", "adir", "--per-format", -1]
        + ["--formats", "nope"],
        [OUT_IS_FOLDER, "unknown dataset kind 'bogus'", "--per-format must be >= 1"]
        + ["unknown format 'nope'"],
    ),
    "data import": (
        ["data", "import", "missing.csv", "--out", "adir", "--label", "x"],
        ["--label must be harmful or benign", "missing.csv: no such file", OUT_IS_FOLDER],
    ),
    "data audit": (
        ["data", "audit", "missing.csv", "--judges", "bogus", "--out", "adir", "--width", 1],
        ["missing.csv: no such file", "unknown judge 'bogus'", OUT_IS_FOLDER]
        + ["--width must be >= 20"],
    ),
    "tasks show": (
        ["tasks", "show", "bogus", "--split", "x", "--limit", 0],
        ["unknown task 'bogus'", "unknown split 'x'", "--limit must be >= 1"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_every_mistake_is_told_at_once_before_any_work(case, scene, capsys):
    args, mistakes = CASES[case]
    err = fails_fast(args, scene, capsys)
    assert f"{len(mistakes)} problems" in err.splitlines()[0], err
    missed = [m for m in mistakes if m not in err]
    assert not missed, f"not named: {missed}\n{err}"


def test_one_mistake_stays_one_line(scene, capsys):
    args = ["eval", "--bench", "bench.jsonl", "--out", "afile", "--judge", "keyword"]
    err = fails_fast(args + ["--model", "notmodel"], scene, capsys)
    assert err.count("\n") == 1 and OUT_IS_FILE in err


def test_an_unknown_head_is_told_before_the_model_answers(scene, capsys):
    """The judge's head was read only once the model had answered every item."""
    args = ["eval", "--bench", "bench.jsonl", "--out", "run", "--model", "notmodel"]
    err = fails_fast(args + ["--judge", "classifier:nohead"], scene, capsys)
    assert "nohead: not a classifier head" in err and not (scene / "run").exists()


def test_an_output_below_a_file_is_not_writable(scene, capsys):
    args = ["generate", "--prompts", "prompts.jsonl", "--out", "afile/sub/out.jsonl"]
    err = fails_fast(args + ["--model", "notmodel"], scene, capsys)
    assert "afile is a file, not a folder" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_out_folder_is_told_at_once(scene, capsys):
    locked = scene / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        args = ["eval", "--bench", "bench.jsonl", "--out", locked / "run", "--judge", "bogus"]
        err = fails_fast(args + ["--model", "notmodel"], scene, capsys)
        assert "cannot write in" in err and "unknown judge 'bogus'" in err
    finally:
        locked.chmod(0o700)


def test_a_fine_tune_folder_of_other_settings_is_told_with_the_rest(scene, capsys):
    """An OUT holding a finished fine-tune of other settings is named with the other mistakes,
    before the training data is built (it used to be found alone)."""
    out = scene / "ft"
    out.mkdir()
    settings = {"settings": {"model": "m", "task": "code"}, "start_adapter": None}
    (out / "adapter_config.json").write_text("{}")
    from safetygap.finetune.trainer import FINISHED

    (out / FINISHED).write_text(json.dumps(settings))
    args = ["finetune", "--task", "summarization", "--out", out, "--model", "notmodel"]
    err = fails_fast(args + ["--adapter", "nodir"], scene, capsys)
    assert "holds a fine-tune with other settings" in err and NO_ADAPTER[1] in err


def test_check_names_a_run_folder_of_other_settings_before_evaluating_the_base(scene, capsys):
    """OUT/finetune holding an eval of other settings was found only after OUT/base had been
    evaluated; now before any model answers."""
    from tests.reliability.test_fuzz_inputs import LORA_CONFIG, lora_weights

    adapter = scene / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps(LORA_CONFIG))
    (adapter / "adapter_model.safetensors").write_bytes(lora_weights())
    theirs = scene / "gate" / "finetune"
    theirs.mkdir(parents=True)
    (theirs / "settings.json").write_text(json.dumps({"model": "another", "judge": "keyword"}))
    (theirs / "responses.jsonl").write_text("")
    args = ["check", "--model", "notmodel", "--adapter", adapter, "--bench", "bench.jsonl"]
    err = fails_fast(args + ["--judge", "keyword", "--out", scene / "gate"], scene, capsys)
    assert f"{theirs} holds a run with other settings" in err, err
    assert not (scene / "gate" / "base").exists()
