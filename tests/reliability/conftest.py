"""The fault tally behind docs/reliability.md.

Every reliability test reports what it injected and what it saw through `tally(fault, ...)`; the
test itself asserts the goals (nothing lost, no wrong verdict, no traceback). With
`SAFETYGAP_TALLY=FILE` set, the session writes the sums per fault to FILE as JSON
(`benchmarks/reliability.py` runs these tests that way and prints the table).
"""

import json
import os
from collections import defaultdict

import pytest

_SUMS: dict[str, dict] = defaultdict(
    lambda: {"injected": 0, "lost": 0, "wrong": 0, "tracebacks": 0}
)


@pytest.fixture
def tally(request):
    """tally(fault, injected=1, lost=0, wrong=0, tracebacks=0, seconds=None, written=None): add
    to the fault's row (`seconds`: the time to its error, the slowest kept; `written`: files a
    rejected input left behind); the row also records the test that reproduces it."""

    def add(
        fault: str,
        injected: int = 1,
        lost: int = 0,
        wrong: int = 0,
        tracebacks: int = 0,
        seconds: float | None = None,
        written: int | None = None,
    ):
        row = _SUMS[fault]
        row["injected"] += injected
        row["lost"] += lost
        row["wrong"] += wrong
        row["tracebacks"] += tracebacks
        if seconds is not None:
            row["seconds"] = max(row.get("seconds", 0.0), seconds)
        if written is not None:
            row["written"] = row.get("written", 0) + written
        row.setdefault("tests", [])
        test = request.node.nodeid.split("[")[0]
        if test not in row["tests"]:
            row["tests"].append(test)

    return add


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("SAFETYGAP_TALLY")
    if path and _SUMS:
        with open(path, "w") as f:
            json.dump(dict(_SUMS), f, indent=1)
