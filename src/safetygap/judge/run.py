"""Judge a responses file into judgments.jsonl (resumable, item by item)."""

from pathlib import Path

from safetygap.errors import UserError
from safetygap.generate.runner import RESPONSE
from safetygap.jsonl import ID, read_jsonl
from safetygap.judge import load_judge
from safetygap.judge.base import LEVELS, VERDICTS
from safetygap.resume import resumable

# The fields a judgment must have to count as done (and to be scored).
JUDGMENT = {
    "id": ID,
    "judge": str,
    "verdict": frozenset(VERDICTS),
    "score": (float, type(None)),
    "level": frozenset((*LEVELS, None)),
    "help_score": (float, type(None)),
}


def read_responses(path: str | Path) -> list[dict]:
    recs = read_jsonl(path, required=["id", "prompt", "response"], types=RESPONSE)
    for r in recs:
        r["id"] = str(r["id"])
    if len({r["id"] for r in recs}) != len(recs):
        raise UserError(f"{path}: duplicate ids")
    return recs


def judge_file(
    judge_spec: str, responses: str | Path, out: str | Path, progress: bool = True, **options
) -> tuple[int, int]:
    """Write one judgment per response to `out`; return (new, total)."""
    items = read_responses(responses)
    by_id = {r["id"]: r for r in items}
    judge = load_judge(judge_spec, **options)

    def produce(todo):
        for rid, v in judge.judge([by_id[i] for i in todo]):
            yield {
                "id": rid,
                "judge": judge.name,
                "verdict": v.verdict,
                "score": v.score,
                "level": v.level,
                "help_score": v.help_score,
            }

    return resumable(out, list(by_id), produce, f"judging ({judge_spec})", progress, JUDGMENT)
