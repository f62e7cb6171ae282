"""Killed with SIGKILL at several points and resumed each time, a sweep ends exactly where an
uninterrupted one ends: the same stage keys, byte-identical adapters, answers, verdicts,
scores and guard verdicts, each item once; a report killed while rendering leaves no torn file.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from safetygap.sweep.run import RECORD, sweep
from tests.helpers import QUIET, tiny_config, write_yaml

# Whole sweeps (fine-tunes included), run uninterrupted and again killed and resumed.
pytestmark = pytest.mark.slow

# Fields that record when or how long, not what: left out of the comparison.
VOLATILE = {"seconds", "train_seconds", "started", "finished", "wall_seconds", "train_runtime"}
VOLATILE |= {"train_samples_per_second", "train_steps_per_second", "ms", "latency_ms"}
VOLATILE |= {"items_per_s", "run_sha256"}  # (the eval run's hash covers its absolute paths)

# (where the sweep is killed, what in its folder shows it got there)
KILL_POINTS = [
    (
        "during training",
        "stages/finetune-*/adapter.work/checkpoints/checkpoint-*/trainer_state.json",
    ),
    ("during generation", "stages/eval-*/responses.jsonl.partial"),
    ("during helpfulness", "stages/helpfulness-*/responses.jsonl.partial"),
    ("between stages", "stages/guard-*/" + RECORD),
]


def config(models, task_file, bench):
    cfg = tiny_config(models, task_file, bench, mitigations=[{"method": "resta"}])
    cfg["finetune"]["settings"].update(max_steps=8, save_every=2, batch_size=1)
    cfg["eval"].update(batch_size=1, max_new_tokens=16)
    cfg["helpfulness"].update(batch_size=1)
    return cfg


def lines(path: Path) -> int:
    try:
        return len(path.read_text().splitlines())
    except OSError:
        return 0


def reached(out: Path, pattern: str) -> bool:
    found = list(out.glob(pattern))
    if pattern.endswith(".partial"):
        return any(lines(p) >= 2 for p in found)
    return bool(found)


def kill_when(args: list[str], out: Path, pattern: str, timeout=300) -> None:
    """Start the CLI, SIGKILL its whole process group once `pattern` shows in `out`."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "safetygap", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and not reached(out, pattern):
        time.sleep(0.02)
    finished_first = proc.poll() is not None
    if not finished_first:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not finished_first, f"the run ended before {pattern} appeared"
    assert time.time() < deadline, f"{pattern} never appeared"


def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in VOLATILE}
    return [strip(v) for v in x] if isinstance(x, list) else x


def content(path: Path, root: Path) -> str:
    """The file's sha256; for JSON and JSONL, its records with the sweep folder's own path
    written as OUT and without times. Two things differ between processes and are compared by
    meaning: PEFT's `target_modules` (a set, saved in hash order) and the training log, whose
    counters restart on resume in TRL (`num_tokens`): its steps' losses, norms and rates."""
    if path.suffix not in (".json", ".jsonl"):
        return hashlib.sha256(path.read_bytes()).hexdigest()
    text = path.read_text().replace(str(root), "OUT")
    records = [json.loads(line) for line in text.splitlines()] if path.suffix == ".jsonl" else []
    if path.suffix == ".json":
        records = [json.loads(text)]
    if path.name == "adapter_config.json":
        records[0]["target_modules"] = sorted(records[0]["target_modules"])
    if path.name == "train_log.jsonl":
        keep = ("step", "loss", "grad_norm", "learning_rate")
        records = [{k: r[k] for k in keep} for r in records if "loss" in r]
    return json.dumps(strip(records), sort_keys=True)


def outputs(out: Path, index: dict) -> dict:
    """Every file a finished stage recorded, by stage key and path, with its content."""
    found = {}
    for s in index["stages"]:
        record = json.loads((out / s["folder"] / RECORD).read_text())
        for name in record["files"]:
            found[(s["key"], name)] = content(out / s["folder"] / name, out)
    return found


def jsonl_ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_a_sweep_killed_at_every_point_resumes_to_the_same_bytes(
    models, task_file, bench, tmp_path, tally
):
    path = write_yaml(tmp_path, config(models, task_file, bench))
    reference = sweep(path, tmp_path / "whole", **QUIET)
    out = tmp_path / "killed"
    args = ["sweep", str(path), "--out", str(out)]
    for _, pattern in KILL_POINTS:
        kill_when(args, out, pattern)
    resumed = sweep(path, out, **QUIET)
    assert [s["key"] for s in resumed["stages"]] == [s["key"] for s in reference["stages"]]
    assert {s["status"] for s in resumed["stages"]} <= {"done", "cached"}
    want, got = outputs(tmp_path / "whole", reference), outputs(out, resumed)
    lost = len(set(want) - set(got))
    wrong = sum(got.get(k) != v for k, v in want.items() if k in got)
    for s in resumed["stages"]:  # every item once in every answer and verdict file
        for f in (out / s["folder"]).glob("*.jsonl"):
            ids = jsonl_ids(f)
            assert len(ids) == len(set(ids)), f"{f} counts an item twice"
    assert not list(out.rglob("*.partial")), "a partial file outlived its stage"
    assert not list(out.rglob(".*.tmp*")), "a temporary file outlived its stage"
    for where, _ in KILL_POINTS:
        tally(f"SIGKILL {where}", lost=lost, wrong=wrong)
    assert lost == 0 and wrong == 0, sorted(k for k in want if got.get(k) != want[k])


def test_a_report_killed_while_it_renders_leaves_no_torn_file(
    models, task_file, bench, tmp_path, tally
):
    cfg = tiny_config(models, task_file, bench, mitigations=[], guards=[])
    out = tmp_path / "out"
    sweep(write_yaml(tmp_path, cfg), out, **QUIET)
    report = [sys.executable, "-m", "safetygap", "report", str(out)]
    subprocess.run(report, check=True, capture_output=True)
    whole = {name: (out / name).read_bytes() for name in ("report.html", "report.md")}
    torn = wrong = 0
    for delay in (0.5, 1.5, 3.0, 4.5):  # from start-up to the plots and the writing
        proc = subprocess.Popen(report, stdout=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        # each file is the whole earlier one or the whole new one, never a part
        torn += sum((out / name).read_bytes()[-500:] != text[-500:] for name, text in whole.items())
        assert not [p for p in out.iterdir() if ".tmp" in p.name], "a temporary file was left"
    subprocess.run(report, check=True, capture_output=True)
    wrong = int((out / "report.md").read_bytes() != whole["report.md"])
    tally("SIGKILL while the report renders", injected=4, lost=torn, wrong=wrong)
    assert torn == 0 and wrong == 0
