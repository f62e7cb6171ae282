"""Audit a safety dataset: which 'refusals' actually comply with the request?"""

from pathlib import Path

from safetygap.errors import UserError
from safetygap.jsonl import ID, TEXT, read_jsonl
from safetygap.judge import load_judge
from safetygap.safetydata.importer import import_pairs


def read_pairs(path: str | Path, query_column: str, response_column: str) -> list[dict]:
    """Records with id, prompt, response from our JSONL or a paper-style CSV."""
    path = Path(path)
    if path.suffix != ".jsonl":
        return import_pairs(path, query_column, response_column)
    kinds = {"id": ID, "prompt": TEXT, "response": str, "harmful": bool}
    recs = read_jsonl(path, required=["prompt", "response"], types=kinds)
    pairs = [{**r, "id": str(r.get("id", n))} for n, r in enumerate(recs)]
    if len({p["id"] for p in pairs}) != len(pairs):
        raise UserError(f"{path}: duplicate ids")
    return pairs


def audit(
    path: str | Path,
    judges: list[str],
    query_column: str = "Query",
    response_column: str = "Response",
) -> dict:
    """Flag harmful-query records whose response is judged `answered` by every given judge."""
    pairs = [p for p in read_pairs(path, query_column, response_column) if p.get("harmful", True)]
    verdicts = {}
    for spec in judges:
        judge = load_judge(spec)
        verdicts[judge.name] = dict(judge.judge(pairs))
    flagged = [
        {"id": p["id"], **{n: v[p["id"]].score for n, v in verdicts.items()}}
        for p in pairs
        if all(v[p["id"]].verdict == "answered" for v in verdicts.values())
    ]
    return {
        "file": str(path),
        "n": len(pairs),
        "answered_by_judge": {
            n: sum(x.verdict == "answered" for x in v.values()) for n, v in verdicts.items()
        },
        "flagged": flagged,
    }
