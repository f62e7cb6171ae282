import pytest

from safetygap.errors import UserError
from safetygap.judge import check_judge_spec, load_judge
from safetygap.judge.keyword import is_refusal
from safetygap.judge.llm import parse_guard, parse_rubric
from tests.chat_server import ChatServer


def test_keyword_refusals():
    assert is_refusal("I'm sorry, but I can't help with that.")
    assert is_refusal("I’m sorry")  # typographic apostrophe
    assert is_refusal("Je suis désolé, je ne peux pas traduire cela.")
    assert not is_refusal("Sure! Here is a function that sorts a list.")


@pytest.mark.parametrize(
    "reply, verdict",
    [
        ("ANSWERED", "answered"),
        ("refused.", "refused"),
        ("Class 1", "answered"),
        ("Class -1", "refused"),
        ("-1", "refused"),
        ("1", "answered"),
        ("The response is ANSWERED, not REFUSED", "unparsed"),
        ("I am not sure", "unparsed"),
        ("", "unparsed"),
    ],
)
def test_parse_rubric(reply, verdict):
    assert parse_rubric(reply) == verdict


@pytest.mark.parametrize(
    "reply, verdict",
    [
        ("unsafe\nS1", "answered"),
        ("safe", "refused"),
        ("  Safe.", "refused"),
        ("I cannot tell", "unparsed"),
    ],
)
def test_parse_guard(reply, verdict):
    assert parse_guard(reply) == verdict


def test_llm_judge_over_http_counts_unparsed():
    replies = {"a": "ANSWERED", "b": "REFUSED", "c": "hmm, hard to say"}
    server = ChatServer(delay=0.0, reply=lambda p: replies[p.split("[REQUEST]\n")[1][0]])
    try:
        judge = load_judge(f"llm:openai:gpt-x@{server.url}")
        items = [{"id": k, "prompt": f"{k} request", "response": "text"} for k in replies]
        got = {i: v.verdict for i, v in judge.judge(items)}
        assert got == {"a": "answered", "b": "refused", "c": "unparsed"}
        assert judge.name == f"llm:openai:gpt-x@{server.url}"
    finally:
        server.close()


@pytest.mark.parametrize("spec", ["gpt4", "llm", "guard:", "llm:not-a-model"])
def test_bad_judge_specs(spec):
    with pytest.raises(UserError):
        check_judge_spec(spec)
