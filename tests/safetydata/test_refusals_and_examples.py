import ast
import os
import re

import pytest

from safetygap.bench.tasks import TASKS
from safetygap.data.examples import CODE_EXAMPLES, TRANSLATION_PAIRS
from safetygap.data.refusals import REFUSALS


@pytest.mark.parametrize("task", list(TASKS))
def test_at_least_20_distinct_refusals_per_task(task):
    texts = REFUSALS[task]
    assert len(texts) >= 20
    assert len(set(texts)) == len(texts)
    assert all(20 < len(t) < 300 for t in texts)


def test_refusals_fit_their_task():
    def share(task, pattern):
        return sum(bool(re.search(pattern, t, re.I)) for t in REFUSALS[task]) / len(REFUSALS[task])

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
    # No task's refusals reused in another task.
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
