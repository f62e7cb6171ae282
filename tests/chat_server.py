"""A local server that speaks the OpenAI chat completions API, for tests."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ChatServer:
    """Answers `reply(prompt)` (default `echo: <prompt>`); the first `fail_first` get a 503."""

    def __init__(self, fail_first=0, delay=0.05, reply=None):
        self.fail_first, self.delay = fail_first, delay
        self.reply = reply or (lambda prompt: f"echo: {prompt}")
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
                            "message": {"role": "assistant", "content": server.reply(prompt)},
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
