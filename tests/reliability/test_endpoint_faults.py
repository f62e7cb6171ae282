"""Endpoint faults against the local server (tests/chat_server.py): answers later than the
client's timeout (all at once or trickled), 500s, 429s with Retry-After (seconds, fractions,
an HTTP date, garbage), bodies cut short, valid JSON of the wrong shape, and judge or guard
replies that are neither verdict.

What must hold: each fault is retried with backoff, a bounded number of times (the server's
call count is checked exactly) in bounded time; what is left after the tries is a one-line
UserError (generation, judging) or, for a reply that says no verdict, `unparsed`: never a
response, never a refusal, never safe. Basic retries of 503 and a 1 s Retry-After are in
tests/generate/test_openai_backend.py.
"""

import json
import time
from email.utils import formatdate

import pytest

from safetygap.errors import UserError
from safetygap.eval.metrics import score
from safetygap.generate.base import Request, Sampling, load_backend
from safetygap.guard.run import guard_run
from safetygap.judge.llm import parse_rubric
from safetygap.judge.run import judge_file
from tests.chat_server import ChatServer
from tests.helpers import run_cli


@pytest.fixture
def server():
    s = ChatServer(delay=0.0)
    yield s
    s.close()


def backend(server, timeout=0.3, max_retries=2, backoff=0.01, concurrency=1):
    return load_backend(
        f"openai:m@{server.url}",
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        backoff=backoff,
    )


def ask(b, prompt="hi", raw=False):
    """(responses, seconds taken) for one request."""
    t0 = time.monotonic()
    out = list(b.generate([Request("a", prompt, raw=raw)], Sampling()))
    return [c.response for c in out], time.monotonic() - t0


def fails(b, prompt="hi"):
    """(the one-line error, seconds taken) for a request that must fail."""
    t0 = time.monotonic()
    with pytest.raises(UserError) as e:
        list(b.generate([Request("a", prompt)], Sampling()))
    message = str(e.value)
    assert "\n" not in message and "Traceback" not in message
    return message, time.monotonic() - t0


def always(fault):
    return lambda n, body: fault


def test_a_slow_answer_is_abandoned_and_retried(server, tally):
    server.faults = ["slow"]  # answers after 1 s; the client waits 0.3 s
    got, took = ask(backend(server))
    tally("endpoint times out", injected=1, lost=int(got != ["echo: hi"]))
    assert got == ["echo: hi"] and server.calls == 2
    assert took < 0.3 + 0.8  # one timeout, one quick answer


def test_an_endpoint_that_always_times_out_fails_in_bounded_time(server, tally):
    server.faults = always("slow")
    message, took = fails(backend(server, max_retries=2))
    tally("endpoint times out", injected=3)
    assert message.startswith(f"endpoint {server.url}/chat/completions did not answer within 0.3 s")
    assert message.endswith("(after 3 tries)") and server.calls == 3
    assert took < 3 * 0.3 + 0.8


def test_a_trickled_body_is_cut_off_at_the_time_limit(server, tally):
    """Headers at once, then a byte every 50 ms (seconds for the whole body): each read is
    within the timeout, so only a limit on the whole answer stops it."""
    server.faults = always("trickle")
    message, took = fails(backend(server, timeout=0.4, max_retries=1))
    assert "did not answer within 0.4 s (after 2 tries)" in message and server.calls == 2
    assert took < 2 * (0.4 + 0.1) + 0.8
    server.faults, server.calls = ["trickle"], 0  # once, then a normal answer
    got, _ = ask(backend(server, timeout=0.4))
    assert got == ["echo: hi"] and server.calls == 2
    tally("endpoint times out", injected=3)


def test_500s_are_retried_with_growing_backoff(server, tally):
    server.faults = ["500"] * 3
    got, took = ask(backend(server, max_retries=3, backoff=0.05))
    tally("endpoint answers 500", injected=3, lost=int(got != ["echo: hi"]))
    assert got == ["echo: hi"] and server.calls == 4 and server.faulted == [1, 2, 3]
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    for k, gap in enumerate(gaps):  # backoff * 2^k, jittered by 0.5..1.5
        assert 0.05 * 2**k * 0.5 <= gap < 0.05 * 2**k * 1.5 + 0.3
    assert took < sum(0.05 * 2**k * 1.5 for k in range(3)) + 0.6


def test_an_endpoint_that_always_answers_500_fails_after_its_tries(server, tally):
    server.faults = always("500")
    message, _ = fails(backend(server, max_retries=3))
    tally("endpoint answers 500", injected=4)
    assert "answered HTTP 500" in message and "internal error" in message
    assert message.endswith("(after 4 tries)") and server.calls == 4


def test_repeated_429s_wait_what_retry_after_asks_then_stop(server, tally):
    server.faults = always(("429", "0.2"))
    message, took = fails(backend(server, max_retries=2, backoff=2.0))  # 2 s if ignored
    tally("endpoint 429 with Retry-After", injected=3)
    assert "HTTP 429" in message and server.calls == 3
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert all(0.19 <= g < 0.6 for g in gaps), gaps
    assert took < 1.5


def test_retry_after_as_an_http_date(server, tally):
    """RFC 9110 allows `Retry-After: <HTTP-date>`; 2 s ahead at one-second resolution means a
    wait of 1 to 2 s."""
    now, mono = time.time(), time.monotonic()
    until = int(now + 2)  # the date the header names, to the second
    until_mono = mono + (until - now)  # the server's clock is time.monotonic()
    server.faults = [("429", formatdate(until, usegmt=True))]
    got, _ = ask(backend(server, backoff=0.01))
    tally("endpoint 429 with Retry-After", injected=1, lost=int(got != ["echo: hi"]))
    assert got == ["echo: hi"] and server.calls == 2
    # the retry comes at that date (on a loaded machine the first try itself may come late)
    assert server.times[1] >= until_mono - 0.05 and server.times[1] - server.times[0] < 2.6


@pytest.mark.parametrize("value", ["nan", "soon", "-5", ""])
def test_a_retry_after_that_means_nothing_falls_back_to_backoff(server, value, tally):
    server.faults = [("429", value), ("429", value)]
    got, took = ask(backend(server, backoff=0.01))
    tally("endpoint 429 with Retry-After", injected=2, lost=int(got != ["echo: hi"]))
    assert got == ["echo: hi"] and server.calls == 3 and took < 0.6


@pytest.mark.parametrize("fault, message", [("truncate", "not JSON"), ("cut", "broke off")])
def test_a_body_cut_short_is_retried_then_reported(server, fault, message, tally):
    """`truncate`: half the JSON, the Content-Length saying so (a proxy cut it); `cut`: the
    connection closes halfway through the promised length."""
    server.faults = [fault]
    got, _ = ask(backend(server))
    assert got == ["echo: hi"] and server.calls == 2
    server.faults, server.calls = always(fault), 0
    error, _ = fails(backend(server, max_retries=2))
    assert message in error and error.endswith("(after 3 tries)") and server.calls == 3
    tally("endpoint truncates JSON", injected=4, lost=int(got != ["echo: hi"]))


WRONG_SHAPES = [
    [],
    "ok",
    {},
    {"error": {"message": "model overloaded"}},
    {"choices": []},
    {"choices": ["echo"]},
    {"choices": [{"message": "echo"}]},
    {"choices": [{"message": {}}]},
    {"choices": [{"message": {"content": 7}}]},
    {"choices": [{"message": {"content": None}, "finish_reason": "stop"}]},
    {"choices": [{"text": "a completion, not a chat message"}]},
]


@pytest.mark.parametrize("body", WRONG_SHAPES, ids=[json.dumps(b)[:40] for b in WRONG_SHAPES])
def test_json_of_the_wrong_shape_is_retried_then_reported(server, body, tally):
    server.faults = [("shape", body)]
    got, _ = ask(backend(server))
    assert got == ["echo: hi"] and server.calls == 2
    server.faults, server.calls = always(("shape", body)), 0
    error, _ = fails(backend(server, max_retries=1))
    assert "answered JSON without choices[0].message" in error and server.calls == 2
    assert error.endswith("(after 2 tries)")
    tally("endpoint returns wrong-shape JSON", injected=3, lost=int(got != ["echo: hi"]))


def test_a_chat_shaped_answer_on_the_completions_endpoint_is_the_wrong_shape(server, tally):
    server.faults = always(("shape", {"choices": [{"message": {"content": "hi"}}]}))
    b = backend(server, max_retries=1)
    with pytest.raises(UserError, match=r"without choices\[0\]\.text"):
        list(b.generate([Request("a", "<raw prompt>", raw=True)], Sampling()))
    tally("endpoint returns wrong-shape JSON", injected=2)
    assert server.calls == 2


HI = {"message": {"content": "hi"}}


@pytest.mark.parametrize(
    "body, response, tokens",
    [
        ({"choices": [{"message": {"content": None, "refusal": "I can't."}}]}, "I can't.", 0),
        ({"choices": [{"message": {"content": None}, "finish_reason": "length"}]}, "", 0),
        ({"choices": [HI], "usage": "lots"}, "hi", 0),
        ({"choices": [HI], "usage": {"completion_tokens": 4}}, "hi", 4),
        ({"choices": [HI], "usage": {"completion_tokens": "x"}}, "hi", 0),
    ],
)
def test_odd_but_meaningful_answers_are_read_without_retrying(server, body, response, tokens):
    server.faults = [("shape", body)]
    out = list(backend(server).generate([Request("a", "hi")], Sampling()))
    assert [(c.response, c.n_new_tokens) for c in out] == [(response, tokens)]
    assert server.calls == 1


def test_generate_stops_with_one_line_and_writes_no_fault_as_a_response(
    server, prompt_file, tmp_path, capsys, monkeypatch, tally
):
    """Through the CLI (limits from the environment): every request fails all its tries with
    one fault or another; exit 2, one line, nothing written as a response."""
    monkeypatch.setenv("SAFETYGAP_HTTP_TIMEOUT", "0.3")
    monkeypatch.setenv("SAFETYGAP_HTTP_RETRIES", "1")
    monkeypatch.setenv("SAFETYGAP_HTTP_BACKOFF", "0.01")
    kinds = ["slow", "500", "truncate", ("shape", {"choices": []}), "cut", ("429", "0")]
    server.faults = lambda n, body: kinds[n % len(kinds)]
    out = tmp_path / "r.jsonl"
    t0 = time.monotonic()
    code, _, err = run_cli(
        ["generate", "--model", f"openai:m@{server.url}", "--prompts", prompt_file, "--out", out],
        capsys,
    )
    took = time.monotonic() - t0
    partial = out.with_name(out.name + ".partial")
    assert partial.exists()  # the run got as far as writing results
    written = partial.read_text().splitlines()
    names = {
        "slow": "endpoint times out",
        "500": "endpoint answers 500",
        "truncate": "endpoint truncates JSON",
        "cut": "endpoint truncates JSON",
        "shape": "endpoint returns wrong-shape JSON",
        "429": "endpoint 429 with Retry-After",
    }
    for n in range(1, server.calls + 1):
        kind = kinds[n % len(kinds)]
        tally(names[kind if isinstance(kind, str) else kind[0]], wrong=len(written) * (n == 1))
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "(after 2 tries)" in err and not out.exists() and written == []
    assert server.calls == 12 and took < 3.0  # 6 prompts, 2 tries each, 8 in flight


@pytest.mark.parametrize(
    "name, value",
    [
        ("SAFETYGAP_HTTP_TIMEOUT", "soon"),
        ("SAFETYGAP_HTTP_TIMEOUT", "0"),
        ("SAFETYGAP_HTTP_RETRIES", "-1"),
        ("SAFETYGAP_HTTP_BACKOFF", "inf"),
    ],
)
def test_bad_limits_in_the_environment_are_a_user_error(server, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(UserError, match=name):
        load_backend(f"openai:m@{server.url}")


VERDICTS = {
    "a": "ANSWERED",
    "b": "REFUSED",
    "c": "ANSWERED",
    "d": "REFUSED",
    "e": "ANSWERED",
    "m": "Class -1",
}


def judge_inputs(folder, ids):
    """A responses file for `judge_file`: item K asks "K request" (`by_request` reads the K)."""
    path = folder / "responses.jsonl"
    rows = [{"id": k, "prompt": f"{k} request", "response": "text"} for k in ids]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def by_request(replies):
    """A reply function that answers by the first letter of the quoted request."""
    return lambda p: replies[p.split("[REQUEST]\n")[1][0]]


def test_the_judge_rides_out_every_fault_once(server, tmp_path, monkeypatch, tally):
    """Each item's first try meets a different fault; every verdict still comes out right."""
    monkeypatch.setenv("SAFETYGAP_HTTP_TIMEOUT", "0.3")
    monkeypatch.setenv("SAFETYGAP_HTTP_BACKOFF", "0.01")
    server.reply = by_request(VERDICTS)
    server.faults = ["slow", "500", ("429", "0.05"), "truncate", "cut", ("shape", [])]
    responses, out = judge_inputs(tmp_path, VERDICTS), tmp_path / "judgments.jsonl"
    judge_file(f"llm:openai:judge@{server.url}", responses, out, progress=False)
    got = {r["id"]: r["verdict"] for r in map(json.loads, out.read_text().splitlines())}
    expected = {k: parse_rubric(v) for k, v in VERDICTS.items()}
    wrong = sum(got.get(k) != v for k, v in expected.items())
    for fault in ("endpoint times out", "endpoint answers 500", "endpoint 429 with Retry-After"):
        tally(fault, injected=1, lost=len(VERDICTS) - len(got), wrong=wrong)
    tally("endpoint truncates JSON", injected=1, lost=len(VERDICTS) - len(got), wrong=wrong)
    tally("endpoint returns wrong-shape JSON", injected=1, lost=len(VERDICTS) - len(got))
    assert got == expected and expected["m"] == "refused"
    assert server.calls == 12  # six faults, then six answers


def test_a_judge_endpoint_that_stays_down_records_no_verdict(
    server, tmp_path, capsys, monkeypatch, tally
):
    """Faults that outlast the tries stop `judge run` with one line; no item is written as
    refused, answered or unparsed, so a re-run judges them all."""
    monkeypatch.setenv("SAFETYGAP_HTTP_BACKOFF", "0.01")
    server.faults = always("500")
    responses, out = tmp_path / "responses.jsonl", tmp_path / "judgments.jsonl"
    responses.write_text(json.dumps({"id": "a", "prompt": "p", "response": "r"}) + "\n")
    judge = f"llm:openai:judge@{server.url}"
    args = ["judge", "run", "--responses", responses, "--out", out, "--judge", judge]
    code, _, err = run_cli(args, capsys)
    partial = out.with_name(out.name + ".partial")
    assert partial.exists()  # the run got as far as writing results
    written = partial.read_text().splitlines()
    tally("endpoint answers 500", injected=server.calls, wrong=len(written))
    assert code == 2 and err.count("\n") == 1 and "HTTP 500" in err and "(after 5 tries)" in err
    assert server.calls == 5 and written == [] and not out.exists()


GARBAGE = {
    "f": "I think the assistant did fine.",
    "g": "ANSWERED or REFUSED",
    "h": "Class 2",
    "i": "",
    "j": "The response is REFUSED",  # off format: the verdict must come first
    "k": "N/A",
    "l": "refusedd",
}


def test_garbage_verdicts_are_unparsed_and_kept_out_of_the_rates(server, tmp_path, tally):
    server.reply = by_request({**VERDICTS, **GARBAGE})
    ids = [*VERDICTS, *GARBAGE]
    responses, out = judge_inputs(tmp_path, ids), tmp_path / "judgments.jsonl"
    judge_file(f"llm:openai:judge@{server.url}", responses, out, progress=False)
    got = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    wrong = sum(got[k]["verdict"] != "unparsed" for k in GARBAGE)
    tally("judge returns garbage verdicts", injected=len(GARBAGE), wrong=wrong)
    assert {k: got[k]["verdict"] for k in GARBAGE} == dict.fromkeys(GARBAGE, "unparsed")
    assert {k: got[k]["verdict"] for k in VERDICTS} == {
        k: parse_rubric(v) for k, v in VERDICTS.items()
    }
    # harmful: a b c and the garbage f..i; benign: d e m and the garbage j k l
    bench = [{"id": k, "format": "plain", "harmful": k in "abcfghi", "category": "x"} for k in ids]
    m = score(bench, got, {})
    assert m["unparsed"] == {"total": len(GARBAGE), "by_format": {"plain": len(GARBAGE)}}
    assert (m["asr"]["overall"]["n"], m["asr"]["overall"]["value"]) == (3, 2 / 3)
    assert (m["over_refusal"]["overall"]["n"], m["over_refusal"]["overall"]["value"]) == (3, 2 / 3)


SR_GARBAGE = {
    "f": "refused: maybe\nconvincing: 5\nspecific: 5",
    "g": "convincing: 5\nspecific: 5",
    "h": "refused: 2\nconvincing: 1\nspecific: 1",
    "i": "refused: 0\nconvincing: 9\nspecific: 1",
    "j": "It complies. refused: 0\nconvincing: 5\nspecific: 5",
}


def test_garbage_strongreject_replies_are_unparsed_with_no_level(server, tmp_path, tally):
    server.reply = by_request(SR_GARBAGE)
    responses, out = judge_inputs(tmp_path, SR_GARBAGE), tmp_path / "judgments.jsonl"
    judge_file(f"strongreject:openai:judge@{server.url}", responses, out, progress=False)
    got = [json.loads(x) for x in out.read_text().splitlines()]
    wrong = sum(r["verdict"] != "unparsed" or r["level"] is not None for r in got)
    tally("judge returns garbage verdicts", injected=len(SR_GARBAGE), wrong=wrong)
    assert len(got) == len(SR_GARBAGE) and wrong == 0


GUARD_REPLIES = {
    "a": "unsafe\nS2",
    "b": "safe",
    "c": "Safe? Hard to say.",
    "d": "",
    "e": "I cannot classify this conversation.",
    "f": "safe\nunsafe\nS1",
    "g": "The content is safe.",
}


def test_garbage_guard_replies_are_unparsed_never_safe(server, tmp_path, tally):
    """Llama Guard over the completions endpoint, replying by the first letter of the user's
    message; the unparsed are counted apart and left out of recall and false positives."""
    server.reply = lambda p: GUARD_REPLIES[p.split("\n\nUser: ")[1][0]]
    bench = tmp_path / "bench.jsonl"
    bench.write_text(
        "".join(
            json.dumps(
                {
                    "id": k,
                    "seed_id": k,
                    "format": "plain",
                    "harmful": k != "b",
                    "prompt": f"{k} request",
                    "category": "x",
                }
            )
            + "\n"
            for k in GUARD_REPLIES
        )
    )
    spec = f"llamaguard:openai:guard@{server.url}"
    report = guard_run(spec, bench, tmp_path / "g", progress=False, latency_items=1)
    verdicts = [
        json.loads(x) for x in (tmp_path / "g" / "verdicts.jsonl").read_text().split("\n") if x
    ]
    got = {v["id"]: v["verdict"] for v in verdicts}
    garbage = [k for k in GUARD_REPLIES if k not in "ab"]
    wrong = sum(got[k] != "unparsed" for k in garbage)
    tally("guard returns garbage verdicts", injected=len(garbage), wrong=wrong)
    assert got == {"a": "flagged", "b": "passed", **dict.fromkeys(garbage, "unparsed")}
    assert report["unparsed"]["total"] == len(garbage)
    assert report["recall"]["overall"]["n"] == 1 and report["recall"]["overall"]["value"] == 1.0
    assert report["false_positive_rate"]["overall"]["n"] == 1
