"""The HTTP backend against a local server that speaks the OpenAI chat completions API."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from safetygap.errors import UserError
from safetygap.generate.base import Request, Sampling, load_backend
from tests.conftest import run_cli


class ChatServer:
    """Answers `echo: <prompt>`; fails the first `fail_first` requests with 503."""

    def __init__(self, fail_first=0, delay=0.05):
        self.fail_first, self.delay = fail_first, delay
        self.calls, self.in_flight, self.max_in_flight = 0, 0, 0
        self.auth, self.bodies = set(), []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.calls += 1
                    n = server.calls
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    server.auth.add(self.headers.get("Authorization"))
                    server.bodies.append(body)
                time.sleep(server.delay)
                with server.lock:
                    server.in_flight -= 1
                if self.path != "/v1/chat/completions":
                    self.send_response(404)
                    self.end_headers()
                    return
                if n <= server.fail_first:
                    self.send_response(503)
                    self.end_headers()
                    return
                prompt = body["messages"][-1]["content"]
                data = {
                    "choices": [
                        {
                            "message": {"role": "assistant", "content": f"echo: {prompt}"},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"completion_tokens": 3},
                }
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


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
