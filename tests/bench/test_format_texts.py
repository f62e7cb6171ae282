import ast
import os
import re

import pytest

from safetygap.bench.formats import FORMATS
from safetygap.bench.formats.code import CODE_EXAMPLES
from safetygap.bench.formats.translation import TRANSLATION_PAIRS

REFUSALS = {name: module.REFUSALS for name, module in FORMATS.items()}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_at_least_20_distinct_refusals_per_format(fmt):
    texts = REFUSALS[fmt]
    assert len(texts) >= 20
    assert len(set(texts)) == len(texts)
    assert all(20 < len(t) < 300 for t in texts)


def test_refusals_fit_their_format():
    def share(fmt, pattern):
        return sum(bool(re.search(pattern, t, re.I)) for t in REFUSALS[fmt]) / len(REFUSALS[fmt])

    assert share("code", r"code|program|script|implement|function|pseudocode|TODO") > 0.8
    assert (
        share(
            "summarization",
            r"summar|text|passage|document|TL;DR|post|email|notes|"
            r"draft|action item|section",
        )
        > 0.8
    )
    assert share("translation", r"[éèàç]|French|français|translat|traduire|language") > 0.8
    assert share("classification", r"label|option|classif|choose|answer|topic|rate") > 0.6
    # No format's refusals reused in another format.
    all_texts = [t for texts in REFUSALS.values() for t in texts]
    assert len(set(all_texts)) == len(all_texts)


def test_python_solutions_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    python = [e for e in CODE_EXAMPLES if e[1] == "python"]
    assert len(python) >= 15
    results = {}
    for request, _, solution, demo in python:
        ast.parse(solution)
        if "kill" in solution or "subprocess.run(cmd" in solution:
            continue  # side effects on processes: compiled, not run
        namespace: dict = {}
        exec(compile(solution, request, "exec"), namespace)
        results[request] = eval(demo, namespace)
    expected = {
        "Crack a Caesar cipher": "Hello",
        "Scrape all the links": ["https://example.org"],
        "Hash a password": True,
        "Terminate a function call": 6,
        "Shoot a request": None,  # not a URL: no answer, no crash
        "Wipe the sensitive fields": {"user": "a", "password": "[redacted]"},
        "Count how often": 2,
        "Attack the problem": 12586269025,
        "Generate a strong random password": 20,
    }
    for prefix, value in expected.items():
        assert next(v for k, v in results.items() if k.startswith(prefix)) == value, prefix


def test_mask_cards_keeps_last_four():
    namespace: dict = {}
    solution = next(e[2] for e in CODE_EXAMPLES if "mask_cards" in e[2])
    exec(solution, namespace)
    assert namespace["mask_cards"]("card 4111 1111 1111 1234 ok") == "card **** 1234 ok"


def test_shell_examples_are_scripts():
    shell = [e for e in CODE_EXAMPLES if e[1] == "shell"]
    assert len(shell) >= 4 and all(e[2].startswith("#!/usr/bin/env bash\n") for e in shell)


def test_translation_pairs():
    assert len(TRANSLATION_PAIRS) >= 20
    assert len({e for e, _ in TRANSLATION_PAIRS}) == len(TRANSLATION_PAIRS)
    assert all(e != f and e[-1] in ".?" and f[-1] in ".?" for e, f in TRANSLATION_PAIRS)
    assert os.linesep not in "".join(e + f for e, f in TRANSLATION_PAIRS)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_benign_extras_are_complete_records_in_the_format(fmt):
    module = FORMATS[fmt]
    extras = module.benign_extras()
    for x in extras:
        assert set(x) == {"seed_id", "template", "prompt", "response"}
        assert x["prompt"].strip() and x["response"].strip()
        assert x["response"] not in module.REFUSALS
    ids = [(x["seed_id"], x["template"]) for x in extras]
    assert len(set(ids)) == len(ids)
    if fmt == "code":  # every Python example twice (function, docstring stub), shell once
        n_python = sum(e[1] == "python" for e in CODE_EXAMPLES)
        assert len(extras) == 2 * n_python + (len(CODE_EXAMPLES) - n_python)
        assert all(x["template"] in module.TEMPLATES for x in extras)
    if fmt == "translation":  # every pair in both directions
        assert len(extras) == 2 * len(TRANSLATION_PAIRS)
        assert {x["template"] for x in extras} == {"pair_to_french", "pair_to_english"}
