"""Generation through any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server...): chat
completions, or plain completions for raw prompts (a prompt already in the model's own format).

Bounded concurrency; a per-request time limit (`timeout`, for the whole answer: an endpoint that
trickles its body byte by byte is cut off too); bounded retries with exponential backoff on
connection errors, timeouts, 429 and 5xx, and on a 200 whose body is not JSON (truncated) or not
a completion (wrong shape), waiting what a `Retry-After` header asks (seconds or an HTTP date, up
to MAX_RETRY_AFTER seconds). When the tries are spent the run stops with one line saying what
went wrong: a fault is never turned into a response. The defaults of `timeout`, `max_retries`
and `backoff` can be set with SAFETYGAP_HTTP_TIMEOUT, SAFETYGAP_HTTP_RETRIES and
SAFETYGAP_HTTP_BACKOFF. The key comes from `SAFETYGAP_API_KEY` or `OPENAI_API_KEY`; it is sent
in the Authorization header and nowhere else: never logged, never written to a record, and cut
out of any endpoint reply quoted in an error message.
"""

import json
import math
import os
import random
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from safetygap.errors import UserError
from safetygap.generate.base import Completion, Request, Sampling, messages
from safetygap.models.registry import ModelSpec

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 60.0


def retry_after(response) -> float | None:
    """Seconds a `Retry-After` header asks to wait (`N` seconds or an HTTP date), capped to
    0..MAX_RETRY_AFTER; None without a usable one."""
    value = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _env(name: str, default: float, least: float = 0.0) -> float:
    """A number from the environment variable `name` (`default` when unset), at least `least`."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise UserError(f"{name} must be a number, not {value!r}") from None
    if not least <= number < math.inf:
        raise UserError(f"{name} must be a number from {least:g} up, not {value!r}")
    return number


class TooSlow(Exception):
    """The answer did not arrive in full within the time limit."""


class WrongShape(Exception):
    """A JSON answer that is not a completion; the message names what is missing."""


class OpenAIBackend:
    OPTIONS = ("concurrency", "timeout", "max_retries", "backoff")

    def __init__(
        self,
        spec: ModelSpec,
        concurrency: int = 8,
        timeout: float | None = None,
        max_retries: int | None = None,
        backoff: float | None = None,
    ):
        self.model = spec.raw
        self.adapter = None
        self.remote_model = spec.name
        self.url = spec.base_url + "/chat/completions"
        self.raw_url = spec.base_url + "/completions"
        self.concurrency = max(1, concurrency)
        if timeout is None:
            timeout = _env("SAFETYGAP_HTTP_TIMEOUT", 60.0, least=0.001)
        if max_retries is None:
            max_retries = int(_env("SAFETYGAP_HTTP_RETRIES", 4))
        if backoff is None:
            backoff = _env("SAFETYGAP_HTTP_BACKOFF", 0.5)
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        key = os.environ.get("SAFETYGAP_API_KEY") or os.environ.get("OPENAI_API_KEY")
        self._key = key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = httpx.Client(timeout=timeout, headers=headers)

    def redact(self, text: str) -> str:
        """`text` without the API key (an endpoint may quote it back)."""
        return text.replace(self._key, "[API key]") if self._key else text

    def _send(self, url: str, payload: dict) -> tuple[httpx.Response, bytes]:
        """One POST: the response and its whole body, read within `timeout` seconds in all."""
        deadline = time.monotonic() + self.timeout
        with self.client.stream("POST", url, json=payload) as r:
            chunks = []
            for chunk in r.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise TooSlow
        return r, b"".join(chunks)

    def _post(self, payload: dict, url: str, read=lambda data: data):
        """POST with bounded retries and return `read(JSON body)`; `read` raises WrongShape for
        a body that is not what was asked for. UserError once the tries are spent (saying what
        went wrong the last time) or at once on a status that a retry cannot fix."""
        tries = max(1, self.max_retries + 1)
        for attempt in range(tries):
            wait_s = self.backoff * 2**attempt * (0.5 + random.random())
            try:
                r, raw = self._send(url, payload)
            except (httpx.ConnectError, httpx.ConnectTimeout) as e:
                problem = f"cannot reach endpoint {url}: {type(e).__name__}"
            except (httpx.TimeoutException, TooSlow):
                problem = f"endpoint {url} did not answer within {self.timeout:g} s"
            except httpx.TransportError as e:
                problem = f"endpoint {url} broke off its answer ({type(e).__name__})"
            else:
                body = self.redact(raw.decode("utf-8", "replace"))
                if r.status_code == 200:
                    try:
                        data = json.loads(raw)
                    except ValueError:
                        problem = f"endpoint {url} answered a body that is not JSON: {body[:80]!r}"
                    else:
                        try:
                            return read(data)
                        except WrongShape as e:
                            problem = f"endpoint {url} answered JSON without {e}: {body[:80]!r}"
                elif r.status_code not in RETRY_STATUS:
                    raise UserError(f"endpoint {url} answered HTTP {r.status_code}: {body[:200]!r}")
                else:
                    problem = f"endpoint {url} answered HTTP {r.status_code}: {body[:200]!r}"
                    asked = retry_after(r)
                    wait_s = wait_s if asked is None else asked
            if attempt + 1 < tries:
                time.sleep(wait_s)
        raise UserError(f"{problem} (after {tries} tries)")

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
        done = self._post(payload, url, lambda data: completion(req, data))
        return replace(done, response=self.redact(done.response))  # an endpoint may echo it

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


def completion(req: Request, data) -> Completion:
    """The Completion in an endpoint's JSON answer; WrongShape if it holds none. A null message
    content is read as the message's `refusal` text where the endpoint gives one (OpenAI does),
    as empty when generation stopped at the token limit, and as no answer otherwise."""
    what = "choices[0].text" if req.raw else "choices[0].message.content"
    choices = data.get("choices") if isinstance(data, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices else None
    if not isinstance(choice, dict):
        raise WrongShape(what)
    finish = choice.get("finish_reason")
    if req.raw:
        text = choice.get("text")
    else:
        message = choice.get("message")
        if not isinstance(message, dict) or "content" not in message:
            raise WrongShape(what)
        text = message["content"]
        if text is None:
            text = message.get("refusal")
    if text is None and finish == "length":
        text = ""
    if not isinstance(text, str):
        raise WrongShape(f"{what} as text (finish_reason {finish!r})")
    usage = data.get("usage")
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return Completion(
        id=req.id,
        response=text.strip(),
        n_new_tokens=tokens if isinstance(tokens, int) and tokens >= 0 else 0,
        finish_reason="length" if finish == "length" else "stop",
    )
