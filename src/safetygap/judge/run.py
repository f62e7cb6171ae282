"""Judge a responses file into judgments.jsonl (resumable, item by item)."""

from pathlib import Path

from safetygap.errors import UserError
from safetygap.jsonl import read_jsonl
from safetygap.judge import load_judge
from safetygap.resume import resumable


def read_responses(path: str | Path) -> list[dict]:
    recs = read_jsonl(path, required=["id", "prompt", "response"])
    for r in recs:
        r["id"] = str(r["id"])
        if not isinstance(r["response"], str):
            raise UserError(f"{path}: record {r['id']}: `response` must be a string")
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

    return resumable(out, list(by_id), produce, f"judging ({judge_spec})", progress)
