"""Two processes writing one output: the second is refused at once with one line naming the
folder and the process holding it, and the first ends with one complete run; a lock left by a
killed process is taken over. The first writer is a real `safetygap` process answering through
a slow local endpoint, so that the second arrives while it works."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from safetygap.lock import lock_path
from tests.chat_server import ChatServer
from tests.helpers import run_cli

# Each case starts a CLI process (Python and torch afresh).
pytestmark = pytest.mark.slow


@pytest.fixture
def server():
    """An endpoint that answers one request at a time, each after 0.7 s: a run of the six-item
    bench takes seconds, so the second writer comes while the first works."""
    one_at_a_time = threading.Lock()

    def reply(prompt: str) -> str:
        with one_at_a_time:
            time.sleep(0.7)
        return "I cannot help with that."

    s = ChatServer(delay=0, reply=reply)
    yield s
    s.close()


def eval_args(server, bench, out) -> list:
    model = f"openai:m@{server.url}"
    return ["eval", "--model", model, "--bench", bench, "--judge", "keyword", "--out", out]


def start(args) -> subprocess.Popen:
    env = {**os.environ, "SAFETYGAP_HTTP_RETRIES": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "safetygap", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )


def wait_for(proc, ready, timeout=120) -> None:
    """Until `ready()` holds; the process must still be working then."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and not ready():
        time.sleep(0.05)
    assert proc.poll() is None, f"it ended first: {proc.stderr.read().decode()[-500:]}"
    assert ready(), "it never got there"


def answered(path: Path) -> int:
    for p in (path, path.with_name(path.name + ".partial")):
        if p.is_file():
            return len(p.read_text().splitlines())
    return 0


def complete(run: Path, bench: Path) -> bool:
    """One whole eval run: every bench item answered and judged once, and its metrics."""
    ids = [json.loads(line)["id"] for line in bench.read_text().splitlines()]
    for name in ("responses.jsonl", "judgments.jsonl"):
        got = [json.loads(line)["id"] for line in (run / name).read_text().splitlines()]
        if sorted(got) != sorted(ids):
            return False
    return (run / "metrics.json").is_file()


def refused(capsys, args, out: Path, pid: int) -> float:
    """The second writer: exit 2, one line naming the output and the holder's pid; seconds."""
    t0 = time.perf_counter()
    code, _, err = run_cli(args, capsys)
    seconds = time.perf_counter() - t0
    assert code == 2 and err.count("\n") == 1, err
    assert str(out.resolve()) in err and f"process {pid} " in err, err
    return seconds


def test_a_second_eval_into_a_running_evals_folder_is_refused(
    server, bench, tmp_path, capsys, tally
):
    out = tmp_path / "run"
    args = eval_args(server, bench, out)
    first = start(args)
    wait_for(first, lambda: answered(out / "responses.jsonl") >= 1)
    before = (out / "settings.json").read_bytes()
    seconds = refused(capsys, args, out, first.pid)
    assert first.wait(120) == 0, first.stderr.read().decode()[-500:]
    assert complete(out, bench) and (out / "settings.json").read_bytes() == before
    assert not lock_path(out.resolve()).exists()  # the first removed its lock when it ended
    tally("concurrent writers: two evals, one folder", seconds=seconds)


def test_a_lock_left_by_a_killed_eval_is_taken_over(server, bench, tmp_path, capsys, tally):
    out = tmp_path / "run"
    args = eval_args(server, bench, out)
    first = start(args)
    wait_for(first, lambda: answered(out / "responses.jsonl") >= 1)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert lock_path(out.resolve()).exists()  # what the killed process left
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    assert complete(out, bench) and not lock_path(out.resolve()).exists()
    tally("concurrent writers: a lock left by a killed eval", lost=0 if complete(out, bench) else 1)


def sweep_config(server, bench, tmp_path) -> Path:
    cfg = {
        "model": f"openai:m@{server.url}",
        "bench": {"file": str(bench)},
        "eval": {"judge": "keyword", "system_prompts": ["off", "on"], "max_new_tokens": 4},
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_a_second_sweep_and_an_eval_into_a_running_stage_are_refused(
    server, bench, tmp_path, capsys, tally
):
    config, out = sweep_config(server, bench, tmp_path), tmp_path / "sweep"
    first = start(["sweep", config, "--out", out])
    stage = []

    def in_an_eval() -> bool:
        partial = list(out.glob("stages/eval-*/responses.jsonl.partial"))
        stage[:] = [p.parent for p in partial if answered(p.with_suffix("")) >= 1]
        return bool(stage)

    wait_for(first, in_an_eval)
    seconds = refused(capsys, ["sweep", config, "--out", out], out, first.pid)
    # an eval into the stage folder the sweep is writing: the same settings, so only the lock
    # stands in its way
    settings = json.loads((stage[0] / "settings.json").read_text())
    args = [*eval_args(server, bench, stage[0]), "--max-new-tokens", 4]
    if settings["system_prompt"] is not None:
        args += ["--system-prompt", "on"]
    seconds = max(seconds, refused(capsys, args, stage[0], first.pid))
    assert first.wait(180) == 0, first.stderr.read().decode()[-500:]
    index = json.loads((out / "sweep.json").read_text())
    assert {s["status"] for s in index["stages"]} == {"done"}
    for s in index["stages"]:
        if s["kind"] == "eval":
            assert complete(out / s["folder"], bench)
    tally("concurrent writers: two sweeps, an eval into a sweep's stage", seconds=seconds)
