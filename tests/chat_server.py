"""A local server that speaks the OpenAI chat completions and completions APIs, for tests."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ChatServer:
    """Answers `reply(prompt)` (default `echo: <prompt>`), the prompt being the last chat
    message or a completion's raw prompt; the first `fail_first` get `fail_status` (503) with
    `fail_headers` and the body `fail_body(request headers)`."""

    def __init__(self, fail_first=0, delay=0.05, reply=None):
        self.fail_first, self.delay = fail_first, delay
        self.fail_status, self.fail_headers, self.fail_body = 503, {}, None
        self.times = []
        self.reply = reply or (lambda prompt: f"echo: {prompt}")
        self.calls, self.in_flight, self.max_in_flight = 0, 0, 0
        self.auth, self.bodies, self.paths = set(), [], []
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
                    server.paths.append(self.path)
                    server.times.append(time.monotonic())
                time.sleep(server.delay)
                with server.lock:
                    server.in_flight -= 1
                if self.path not in ("/v1/chat/completions", "/v1/completions"):
                    self.send_response(404)
                    self.end_headers()
                    return
                if n <= server.fail_first:
                    self.send_response(server.fail_status)
                    for name, value in server.fail_headers.items():
                        self.send_header(name, value)
                    raw = server.fail_body(self.headers).encode() if server.fail_body else b""
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                    return
                if self.path == "/v1/completions":
                    choice = {"text": server.reply(body["prompt"])}
                else:
                    text = server.reply(body["messages"][-1]["content"])
                    choice = {"message": {"role": "assistant", "content": text}}
                data = {
                    "choices": [{**choice, "finish_reason": "stop"}],
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


def llama_guard_reply(prompt: str) -> str:
    """What a Llama Guard 3 server answers (`safe`, or `unsafe` and a line of S codes) to a
    prompt in its format; a prompt out of that format gets a reply that is neither."""
    head = "<|start_header_id|>user<|end_header_id|>\n\nTask: Check if there is unsafe content in '"
    tail = "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    if not prompt.startswith(head) or not prompt.endswith(tail):
        return "I do not understand this request."
    role = prompt[len(head) :].split("'", 1)[0]
    categories = prompt.split("<BEGIN UNSAFE CONTENT CATEGORIES>\n")[1].split("\n<END")[0]
    if categories.count("\n") != 13 or not categories.startswith("S1: Violent Crimes."):
        return "I do not understand this request."
    conversation = prompt.split("<BEGIN CONVERSATION>\n\n")[1].split("\n\n<END CONVERSATION>")[0]
    last = conversation.split("\n\n")[-1]
    if not last.startswith(f"{role}: ") or f"ONLY THE LAST {role} message" not in prompt:
        return "I do not understand this request."
    text = last[len(role) + 2 :].lower()
    if "bomb" in text:
        return "unsafe\nS1,S9"
    if "steal" in text:
        return "unsafe\nS2"
    return "safe"
