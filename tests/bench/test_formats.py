import re
import string

import pytest

from safetygap.bench.benign import FRENCH
from safetygap.bench.seeds import Seed
from safetygap.bench.tasks import TASKS, pick_template, templates_for, wrap
from safetygap.bench.tasks import classification as cls_task
from safetygap.errors import UserError

REQUEST = "Describe the placeholder request XYZZY in detail"
HARMFUL = Seed("t:1", "t", "other", "x", REQUEST, True)
FRENCH_SEED = Seed("t:2", "t", "other", "x", REQUEST, True, prompt_fr="Décris la demande XYZZY")
BENIGN_Q = "How do I treat a minor burn at home?"
BENIGN = Seed("b:1", "b", "benign", "health", BENIGN_Q, False, answer="Cool it under water.")
# Words that would signal harmful filler in our own template text.
LEXICON = re.compile(r"bomb|explosive|weapon|poison|malware|kill|steal|drug|hack", re.I)


def fields(template):
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("task", list(TASKS))
def test_each_task_has_three_templates_with_the_request_slot(task):
    module = TASKS[task]
    assert len(module.TEMPLATES) >= 3
    for name, template in module.TEMPLATES.items():
        f = fields(template)
        assert f in ({"request"}, {"request_fr"}), (task, name, f)
        assert (f == {"request_fr"}) == (name in module.NEEDS_FRENCH)
        assert not LEXICON.search(template), (task, name)


@pytest.mark.parametrize("task", list(TASKS))
def test_wrapped_prompts_carry_the_request_verbatim(task):
    for template in templates_for(task, HARMFUL):
        prompt = wrap(task, template, HARMFUL)
        assert REQUEST in prompt
        assert "{" not in prompt.replace("{request", "")  # no unfilled slot


@pytest.mark.parametrize("task", list(TASKS))
def test_pick_template_is_stable_and_spread(task):
    seeds = [Seed(f"t:{i}", "t", "other", "", f"req {i}", True) for i in range(200)]
    picks = [pick_template(task, s) for s in seeds]
    assert picks == [pick_template(task, s) for s in seeds]
    assert set(picks) == set(templates_for(task, seeds[0]))


def test_plain_templates():
    assert wrap("plain", "bare", HARMFUL) == REQUEST
    assert TASKS["plain"].benign_response("bare", BENIGN) == "Cool it under water."
    assert TASKS["plain"].benign_response("bare", HARMFUL) is None


def test_summarization_embeds_the_request_in_a_text_to_summarise():
    for template in TASKS["summarization"].TEMPLATES:
        prompt = wrap("summarization", template, HARMFUL)
        head, _, body = prompt.partition("\n\n")
        assert re.search(r"summar|TL;DR", head, re.I) and REQUEST in body
        response = TASKS["summarization"].benign_response(template, BENIGN)
        assert BENIGN_Q in response and BENIGN.answer in response


def test_code_templates_ask_for_a_program():
    prompts = {t: wrap("code", t, HARMFUL) for t in TASKS["code"].TEMPLATES}
    assert "Python function" in prompts["python_function"]
    assert f'"""{REQUEST}"""' in prompts["docstring_stub"]
    assert "bash script" in prompts["shell_script"]
    assert all(TASKS["code"].benign_response(t, BENIGN) is None for t in prompts)


def test_translation_french_templates_need_french_text():
    plain = templates_for("translation", HARMFUL)
    with_fr = templates_for("translation", FRENCH_SEED)
    assert not set(plain) & TASKS["translation"].NEEDS_FRENCH
    assert set(with_fr) == set(TASKS["translation"].TEMPLATES)
    prompt = wrap("translation", "from_french", FRENCH_SEED)
    assert "Décris la demande XYZZY" in prompt and REQUEST not in prompt
    assert "French" in wrap("translation", "translate_and_answer", HARMFUL)
    assert "français" in wrap("translation", "answer_in_french", HARMFUL)


def test_translation_benign_answers_only_where_french_exists():
    mod = TASKS["translation"]
    fr_request, fr_answer = FRENCH[BENIGN_Q]
    assert mod.benign_response("answer_in_french", BENIGN) == fr_answer
    assert mod.benign_response("translate_and_answer", BENIGN).startswith(fr_request)
    other = Seed("b:2", "b", "benign", "x", "What is a good name for a cat?", False, answer="Tom")
    assert mod.benign_response("answer_in_french", other) is None


def test_classification_options_are_neutral_and_labels_honest():
    prompt = wrap("classification", "multiple_choice", HARMFUL)
    options = [line for line in prompt.splitlines() if re.match(r"\([A-D]\)", line)]
    assert len(options) == 4 and not any(REQUEST in o for o in options)
    assert "positive, negative or neutral" in wrap("classification", "sentiment_reply", HARMFUL)
    mod = TASKS["classification"]
    assert mod.benign_response("topic_label", BENIGN).startswith("Health\n")
    assert mod.benign_response("sentiment_reply", BENIGN).startswith("Neutral")
    assert mod.benign_response("multiple_choice", BENIGN) is None
    assert cls_task.topic_of("password_security") == "Technology"
    assert cls_task.topic_of("cooking") == "Home and food"
    assert cls_task.topic_of("zzz") == "Society"


def test_unknown_task_or_template():
    with pytest.raises(UserError, match="unknown task 'poetry'"):
        wrap("poetry", "bare", HARMFUL)
    with pytest.raises(UserError, match="no template 'nope'"):
        wrap("plain", "nope", HARMFUL)
