"""A full disk and a folder that cannot be written: one clear line, exit code 2, every result
already written intact, and the same command resumes once there is room.

The full disk is the kernel's own: a process file-size limit (RLIMIT_FSIZE, the same EFBIG a
quota gives), and where the tests run as root, a 64 KiB tmpfs (ENOSPC). The read-only folder
is a read-only bind mount as root, and a folder without write permission otherwise.
"""

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = os.geteuid() == 0


def sg(args, limit: int | None = None) -> subprocess.CompletedProcess:
    """The CLI in a child process, its files capped at `limit` bytes each when given."""

    def cap():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "safetygap", *map(str, args)],
        capture_output=True,
        text=True,
        preexec_fn=cap if limit else None,
    )


def one_line_exit_2(proc: subprocess.CompletedProcess, *words: str) -> int:
    """Tracebacks seen (0 or 1); asserts the one-line error and exit code 2."""
    tracebacks = int("Traceback" in proc.stderr)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("safetygap: error: ")
    assert all(w in proc.stderr for w in words), proc.stderr
    return tracebacks


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_mount(*args) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextmanager
def read_only(folder: Path):
    """`folder` read-only for the block: a read-only bind mount as root, else no write bit."""
    if ROOT and run_mount("--bind", folder, folder):
        try:
            assert run_mount("-o", "remount,ro,bind", folder)
            yield
        finally:
            subprocess.run(["umount", folder], check=True)
        return
    if ROOT:
        pytest.skip("root without mount: a folder cannot be made read-only")
    modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")] if p.is_dir()}
    for p in modes:
        p.chmod(0o555)
    try:
        yield
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def answers(run: Path) -> list[tuple]:
    rows = []
    for name, field in (("responses.jsonl", "response"), ("judgments.jsonl", "verdict")):
        for line in (run / name).read_text().splitlines():
            rec = json.loads(line)
            rows.append((name, rec["id"], rec[field]))
    return rows


@pytest.mark.slow
def test_a_full_disk_mid_eval_loses_nothing_and_the_rerun_resumes(tiny_dir, bench, tmp_path, tally):
    args = ["eval", "--model", tiny_dir, "--bench", bench, "--judge", "keyword"]
    args += ["--max-new-tokens", 8, "--batch-size", 1]
    whole = tmp_path / "whole"
    assert sg([*args, "--out", whole]).returncode == 0
    # every file may grow to the bench's size (the run keeps a copy) and a little more: the
    # answers, which take more room, run out of it part of the way through
    limit = bench.stat().st_size + 64
    assert (whole / "responses.jsonl").stat().st_size > limit
    run = tmp_path / "run"
    proc = sg([*args, "--out", run], limit=limit)
    tracebacks = one_line_exit_2(proc, "responses.jsonl.partial", "File too large")
    kept = (run / "responses.jsonl.partial").read_bytes().split(b"\n")[:-1]
    assert 1 <= len(kept) < 6  # the answers that fitted are kept, whole
    whole_lines = (whole / "responses.jsonl").read_bytes().split(b"\n")
    assert all(json.loads(line)["id"] for line in kept) and len(whole_lines) == 7
    assert not (run / "metrics.json").exists()
    assert sg([*args, "--out", run]).returncode == 0  # room again: the same command resumes
    wrong = int(answers(run) != answers(whole))
    tally("disk full (file-size limit) mid-eval", tracebacks=tracebacks, wrong=wrong)
    assert wrong == 0


@pytest.mark.skipif(not ROOT, reason="mounting a small tmpfs needs root")
def test_a_full_tmpfs_keeps_the_earlier_bench_and_leaves_no_temporary_file(tmp_path, tally):
    disk = tmp_path / "disk"
    disk.mkdir()
    if not run_mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", disk):
        pytest.skip("this machine does not let root mount a tmpfs")
    try:
        out = disk / "bench.jsonl"
        out.write_text('{"earlier": "bench"}\n')
        (disk / "filler").write_bytes(b"\0" * 60_000)  # what is left: a few KiB
        proc = sg(["bench", "build", "--out", out, "--split", "test", "--seeds", 8, "--benign", 2])
        tracebacks = one_line_exit_2(proc, "No space left on device")
        lost = int(out.read_text() != '{"earlier": "bench"}\n')
        assert sorted(p.name for p in disk.iterdir()) == ["bench.jsonl", "filler"]
    finally:
        subprocess.run(["umount", disk], check=True)
    tally("disk full (tmpfs) while writing a bench", lost=lost, tracebacks=tracebacks)
    assert lost == 0


@pytest.mark.slow
def test_a_read_only_folder_is_one_line_and_its_results_stay(tiny_dir, bench, tmp_path, tally):
    run = tmp_path / "runs" / "base"
    base = ["eval", "--model", tiny_dir, "--bench", bench, "--judge", "keyword"]
    assert sg([*base, "--max-new-tokens", 4, "--out", run]).returncode == 0
    before = snapshot(tmp_path / "runs")
    cfg = tmp_path / "sweep.yaml"
    cfg.write_text(f"model: {tiny_dir}\nbench: {{file: {bench}}}\neval: {{judge: keyword}}\n")
    tracebacks = 0
    with read_only(tmp_path / "runs"):
        attempts = [
            (["report", tmp_path / "runs"], "report.html"),  # a report into the runs' folder
            ([*base, "--out", tmp_path / "runs" / "more"], "more"),  # a new run beside it
            (["sweep", cfg, "--out", tmp_path / "runs" / "sweep"], "sweep"),
        ]
        for args, word in attempts:
            tracebacks += one_line_exit_2(sg(args), word)
        after = snapshot(tmp_path / "runs")
    lost = sum(before[k] != after.get(k) for k in before)
    tally("read-only output folder", injected=len(attempts), lost=lost, tracebacks=tracebacks)
    assert lost == 0 and after == before
    shutil.rmtree(tmp_path / "runs")
