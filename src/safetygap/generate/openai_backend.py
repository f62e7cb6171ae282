"""Generation through any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server...): chat
completions, or plain completions for raw prompts (a prompt already in the model's own format).

Bounded concurrency, per-request timeout, retries with exponential backoff on connection errors,
429 and 5xx (waiting what a `Retry-After` header asks, up to MAX_RETRY_AFTER seconds). The key
comes from `SAFETYGAP_API_KEY` or `OPENAI_API_KEY`; it is sent in the Authorization header and
nowhere else: never logged, never written to a record, and cut out of any endpoint reply quoted
in an error message.
"""

import os
import random
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import httpx

from safetygap.errors import UserError
from safetygap.generate.base import Completion, Request, Sampling, messages
from safetygap.models.registry import ModelSpec

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 60.0


def retry_after(response) -> float | None:
    """Seconds a `Retry-After: N` header asks to wait (capped); None without one."""
    try:
        return min(max(float(response.headers.get("retry-after", "")), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return None


class OpenAIBackend:
    OPTIONS = ("concurrency", "timeout", "max_retries", "backoff")

    def __init__(
        self,
        spec: ModelSpec,
        concurrency: int = 8,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 0.5,
    ):
        self.model = spec.raw
        self.adapter = None
        self.remote_model = spec.name
        self.url = spec.base_url + "/chat/completions"
        self.raw_url = spec.base_url + "/completions"
        self.concurrency = max(1, concurrency)
        self.max_retries = max_retries
        self.backoff = backoff
        key = os.environ.get("SAFETYGAP_API_KEY") or os.environ.get("OPENAI_API_KEY")
        self._key = key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = httpx.Client(timeout=timeout, headers=headers)

    def redact(self, text: str) -> str:
        """`text` without the API key (an endpoint may quote it back)."""
        return text.replace(self._key, "[API key]") if self._key else text

    def _post(self, payload: dict, url: str) -> dict:
        """POST with retries; UserError once retries are spent or on a non-retryable status."""
        for attempt in range(self.max_retries + 1):
            wait_s = self.backoff * 2**attempt * (0.5 + random.random())
            last = attempt == self.max_retries
            try:
                r = self.client.post(url, json=payload)
            except httpx.TransportError as e:
                if last:
                    raise UserError(
                        f"cannot reach endpoint {url}: {type(e).__name__} after {attempt + 1} tries"
                    ) from None
            else:
                if r.status_code == 200:
                    try:
                        return r.json()
                    except ValueError:
                        raise UserError(f"endpoint {url} answered non-JSON") from None
                if r.status_code not in RETRY_STATUS or last:
                    body = self.redact(r.text)[:200]
                    raise UserError(f"endpoint {url} answered HTTP {r.status_code}: {body!r}")
                asked = retry_after(r)
                wait_s = wait_s if asked is None else asked
            time.sleep(wait_s)
        raise AssertionError("unreachable")

    def _one(self, req: Request, sampling: Sampling) -> Completion:
        payload = {
            "model": self.remote_model,
            "max_tokens": sampling.max_new_tokens,
            "temperature": sampling.temperature,
        }
        if req.raw:
            payload["prompt"] = req.prompt
        else:
            payload["messages"] = messages(req.prompt, sampling.system_prompt)
        url = self.raw_url if req.raw else self.url
        data = self._post(payload, url)
        try:
            choice = data["choices"][0]
            text = (choice["text"] if req.raw else choice["message"]["content"]) or ""
        except (KeyError, IndexError, TypeError):
            what = "choices[0].text" if req.raw else "choices[0].message"
            raise UserError(f"endpoint {url} answered without {what}") from None
        if not isinstance(text, str):
            raise UserError(f"endpoint {url} answered a non-text completion")
        usage = data.get("usage") or {}
        return Completion(
            id=req.id,
            response=text.strip(),
            n_new_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
        )

    def generate(self, requests: list[Request], sampling: Sampling) -> Iterator[Completion]:
        pending = iter(requests)
        with ThreadPoolExecutor(self.concurrency) as pool:
            running = set()
            try:
                while True:
                    while len(running) < self.concurrency:
                        req = next(pending, None)
                        if req is None:
                            break
                        running.add(pool.submit(self._one, req, sampling))
                    if not running:
                        return
                    finished, running = wait(running, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        yield fut.result()
            finally:
                for fut in running:
                    fut.cancel()
