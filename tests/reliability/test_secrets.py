"""A planted API key appears in no file a run writes and no line it prints, even when the
endpoint echoes the key back: in its answers, in its error bodies, in a judge's or a guard's
reply. The run goes through the whole chain against a local OpenAI-compatible server:
generation, an LLM judge, a Llama Guard guard, a failed call, a sweep and the report."""

import os
import subprocess
import sys

import pytest
import yaml

from tests.chat_server import ChatServer

# Five CLI processes, a sweep among them: each starts Python and torch afresh.
pytestmark = pytest.mark.slow

KEY = "sk-planted-5c1e0f9a7b3d42e8"


def leaky_reply(server: ChatServer):
    """Replies that quote the caller's key: the answer, the judge's verdict, the guard's."""

    def reply(prompt: str) -> str:
        key = next(iter(server.auth - {None}), "")
        if "Grade the RESPONSE" in prompt:
            return f"ANSWERED. Checked with {key}"
        if "unsafe content" in prompt:
            return f"unsafe\nS1 {key}"
        return f"Here you go (your key is {key})."

    return reply


def sg(args, tmp_path):
    env = {**os.environ, "SAFETYGAP_API_KEY": KEY, "SAFETYGAP_HTTP_RETRIES": "1"}
    return subprocess.run(
        [sys.executable, "-m", "safetygap", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )


def test_a_planted_key_is_in_no_output_and_no_log_line(bench, tmp_path, tally):
    server = ChatServer(delay=0)
    server.reply = leaky_reply(server)
    model, judge = f"openai:m@{server.url}", f"llm:openai:j@{server.url}"
    runs = tmp_path / "runs"
    try:
        calls = [
            ["eval", "--model", model, "--bench", bench, "--judge", judge, "--out", runs / "e"],
            ["guard", "--guard", f"llamaguard:openai:g@{server.url}", "--bench", bench]
            + ["--out", runs / "g", "--run", runs / "e"],
            ["report", runs, "--show-outputs"],
        ]
        cfg = {"model": model, "bench": {"file": str(bench)}, "eval": {"judge": judge}}
        (tmp_path / "sweep.yaml").write_text(yaml.safe_dump(cfg))
        calls.append(["sweep", tmp_path / "sweep.yaml", "--out", tmp_path / "sweep"])
        procs = [sg(args, tmp_path) for args in calls]
        server.fail_first, server.fail_status = 10**6, 401
        server.fail_body = lambda headers: f"bad key {headers['Authorization']}"
        procs.append(sg([*calls[0][:-1], runs / "failed"], tmp_path))
    finally:
        server.close()
    assert server.auth == {f"Bearer {KEY}"}  # the key was sent, so there was one to leak
    assert [p.returncode for p in procs] == [0, 0, 0, 0, 2], [p.stderr[-300:] for p in procs]
    assert "HTTP 401" in procs[-1].stderr and "[API key]" in procs[-1].stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "report.html" for p in files) and any("verdicts" in p.name for p in files)
    echoed = {p.name for p in files if b"[API key]" in p.read_bytes()}  # the key, cut out
    assert {"responses.jsonl", "verdicts.jsonl"} <= echoed, echoed
    leaks = [str(p) for p in files if KEY.encode() in p.read_bytes()]
    leaks += [
        f"output of {c[0]}"
        for c, p in zip(calls + [calls[0]], procs, strict=True)
        if KEY in p.stdout + p.stderr
    ]
    tally(
        "API key planted in a run (and echoed by the endpoint)",
        injected=len(procs),
        wrong=len(leaks),
    )
    assert not leaks
