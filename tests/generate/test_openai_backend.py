"""The HTTP backend against a local server that speaks the OpenAI chat completions API."""

import pytest

from safetygap.errors import UserError
from safetygap.generate.base import Request, Sampling, load_backend
from tests.chat_server import ChatServer
from tests.helpers import run_cli


@pytest.fixture
def server():
    s = ChatServer()
    yield s
    s.close()


def test_answers_with_bounded_concurrency_and_key(server, monkeypatch):
    monkeypatch.setenv("SAFETYGAP_API_KEY", "sk-test-secret")
    backend = load_backend(f"openai:judge-model@{server.url}", concurrency=3)
    reqs = [Request(str(i), f"prompt {i}") for i in range(10)]
    out = {
        c.id: c
        for c in backend.generate(reqs, Sampling(max_new_tokens=5, system_prompt="Be brief."))
    }
    assert {k: v.response for k, v in out.items()} == {
        str(i): f"echo: prompt {i}" for i in range(10)
    }
    assert out["0"].n_new_tokens == 3 and out["0"].finish_reason == "stop"
    assert 1 < server.max_in_flight <= 3
    assert server.auth == {"Bearer sk-test-secret"}
    body = server.bodies[0]
    assert body["model"] == "judge-model" and body["max_tokens"] == 5
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}


def test_raw_requests_go_to_the_completions_endpoint(server):
    backend = load_backend(f"openai:guard-model@{server.url}", concurrency=2)
    reqs = [Request("raw", "<|start_header_id|>user ...", raw=True), Request("chat", "hello")]
    out = {c.id: c.response for c in backend.generate(reqs, Sampling(system_prompt="Be brief."))}
    assert out == {"raw": "echo: <|start_header_id|>user ...", "chat": "echo: hello"}
    raw_body = server.bodies[server.paths.index("/v1/completions")]
    assert raw_body["prompt"] == "<|start_header_id|>user ..." and "messages" not in raw_body
    assert sorted(server.paths) == ["/v1/chat/completions", "/v1/completions"]


def test_retries_transient_errors(server):
    server.fail_first = 2
    backend = load_backend(f"openai:m@{server.url}", concurrency=1)
    backend.backoff = 0.01
    out = list(backend.generate([Request("a", "hi")], Sampling()))
    assert out[0].response == "echo: hi"
    assert server.calls == 3


def test_gives_up_after_retries(server):
    server.fail_first = 100
    backend = load_backend(f"openai:m@{server.url}", concurrency=1)
    backend.backoff, backend.max_retries = 0.01, 2
    with pytest.raises(UserError, match="HTTP 503"):
        list(backend.generate([Request("a", "hi")], Sampling()))
    assert server.calls == 3


def test_key_is_not_written(server, monkeypatch, tmp_path, prompt_file, capsys):
    monkeypatch.setenv("SAFETYGAP_API_KEY", "sk-test-secret")
    out = tmp_path / "r.jsonl"
    code, stdout, err = run_cli(
        ["generate", "--model", f"openai:m@{server.url}", "--prompts", prompt_file, "--out", out],
        capsys,
    )
    assert code == 0
    assert len(out.read_text().splitlines()) == 6
    assert "sk-test-secret" not in out.read_text() + stdout + err


@pytest.mark.slow  # the default retries and backoff: seconds of waiting
def test_unreachable_endpoint_exits_2(prompt_file, tmp_path, capsys):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    out = tmp_path / "r.jsonl"
    code, _, err = run_cli(
        [
            "generate",
            "--model",
            f"openai:m@http://127.0.0.1:{port}/v1",
            "--prompts",
            prompt_file,
            "--out",
            out,
        ],
        capsys,
    )
    assert code == 2
    assert "cannot reach endpoint" in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_retry_after_is_honoured(server):
    server.fail_first, server.fail_status = 1, 429
    server.fail_headers = {"Retry-After": "1"}
    backend = load_backend(f"openai:m@{server.url}", concurrency=1)
    backend.backoff = 0.01  # without the header it would retry at once
    out = list(backend.generate([Request("a", "hi")], Sampling()))
    assert out[0].response == "echo: hi" and server.calls == 2
    assert server.times[1] - server.times[0] >= 0.95


def test_a_key_quoted_back_by_the_endpoint_is_cut_from_the_error(server, monkeypatch, capsys):
    monkeypatch.setenv("SAFETYGAP_API_KEY", "sk-planted-secret-123")
    server.fail_first, server.fail_status = 100, 401
    server.fail_body = lambda headers: f"Incorrect API key: {headers['Authorization']}"
    backend = load_backend(f"openai:m@{server.url}", concurrency=1)
    with pytest.raises(UserError) as e:
        list(backend.generate([Request("a", "hi")], Sampling()))
    assert "HTTP 401" in str(e.value) and "Incorrect API key: Bearer [API key]" in str(e.value)
    assert "sk-planted" not in str(e.value)
