"""Answer requests with a backend into a resumable responses JSONL file."""

from pathlib import Path

from safetygap.errors import UserError
from safetygap.generate.base import BATCH_SIZE, Backend, Request, Sampling, load_backend
from safetygap.jsonl import ID, TEXT, read_jsonl
from safetygap.resume import load_done, partial_path, resumable

__all__ = ["RESPONSE", "partial_path", "read_requests", "run"]

# The fields a response record must have to count as done (and to be read by a judge).
RESPONSE = {"id": ID, "prompt": str, "response": str}


def read_requests(path: str | Path) -> list[Request]:
    """Requests from a JSONL file with `prompt` and optional `id` (default: line number)."""
    records = read_jsonl(path, required=["prompt"], types={"id": ID, "prompt": TEXT})
    requests, seen = [], set()
    for n, rec in enumerate(records):
        rid = str(rec.get("id", n))
        if rid in seen:
            raise UserError(f"{path}: duplicate id {rid!r}")
        seen.add(rid)
        requests.append(Request(rid, rec["prompt"]))
    return requests


def run(
    backend: Backend,
    requests: list[Request],
    sampling: Sampling,
    out: str | Path,
    progress: bool = True,
) -> tuple[int, int]:
    """Generate the responses `out` lacks; return (new, total). Resumes after a kill."""
    by_id = {r.id: r for r in requests}

    def produce(todo: list[str]):
        for c in backend.generate([by_id[i] for i in todo], sampling):
            yield {
                "id": c.id,
                "model": backend.model,
                "adapter": backend.adapter,
                "system_prompt": sampling.system_prompt,
                "prompt": by_id[c.id].prompt,
                "response": c.response,
                "n_new_tokens": c.n_new_tokens,
                "finish_reason": c.finish_reason,
            }

    return resumable(out, list(by_id), produce, "generating", progress, RESPONSE)


def answer_missing(
    model: str,
    adapter: str | None,
    requests: list[Request],
    sampling: Sampling,
    out: str | Path,
    batch_size: int = BATCH_SIZE,
    concurrency: int = 8,
    progress: bool = True,
) -> None:
    """Generate the responses `out` lacks, loading the model only when some are missing."""
    ids = list(dict.fromkeys(r.id for r in requests))
    if set(ids) <= set(load_done(Path(out), RESPONSE)):
        # all answered, so no model to load; a file with a damaged line is rewritten clean
        resumable(out, ids, lambda _: iter(()), "generating", progress, RESPONSE)
        return
    backend = load_backend(model, adapter, batch_size=batch_size, concurrency=concurrency)
    run(backend, requests, sampling, out, progress)
