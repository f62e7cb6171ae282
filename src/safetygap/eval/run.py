"""`safetygap eval`: bench -> responses.jsonl -> judgments.jsonl -> metrics.json, resumable."""

import json
from pathlib import Path

from safetygap import inputs
from safetygap.bench.items import read_bench
from safetygap.errors import Checks
from safetygap.eval.metrics import score
from safetygap.generate.base import BATCH_SIZE, Request, Sampling
from safetygap.generate.runner import answer_missing
from safetygap.jsonl import atomic_write, read_jsonl, sha256_file, write_jsonl
from safetygap.judge import check_judge, judge_fingerprint
from safetygap.judge.run import JUDGMENT, judge_file
from safetygap.resume import check_claim, claim_run

# What may differ between an eval run and its re-run: the bench's path (its sha256 is kept) and
# the judge (the same answers are then judged again).
CLAIM = {"ignore": {"bench"}, "redo": {"judge", "judge_sha256"}, "inputs": {"bench.jsonl"}}


def validate(
    model,
    bench,
    judge,
    out,
    adapter=None,
    system_prompt=None,
    max_new_tokens=100,
    temperature=0.0,
    batch_size=16,
    concurrency=8,
    limit=None,
) -> tuple[list[dict], dict]:
    """Every mistake in an eval's input at once (UserError), before anything is written or a
    model loads, `out` holding a run of other settings among them; else (the bench items to
    evaluate, the run's settings)."""
    checks = Checks()
    checks(inputs.at_least, "--limit", limit, 1)
    items = checks(read_bench, bench, limit)
    checks(inputs.out_folder, out, "--out")
    checks(check_judge, judge)
    checks(inputs.model_and_adapter, model, adapter)
    checks(inputs.generation, max_new_tokens, temperature, batch_size, concurrency)
    settings = {}
    if not checks.found:  # the settings need a bench that reads and a judge that exists
        settings = {
            "model": model,
            "adapter": adapter,
            "system_prompt": system_prompt,
            "bench": str(bench),
            "bench_sha256": sha256_file(bench),
            "n_items": len(items),
            "limit": limit,
            "max_new_tokens": max_new_tokens,
            "temperature": temperature,
            "judge": judge,
            "judge_sha256": judge_fingerprint(judge),
        }
        checks(check_claim, Path(out), settings, **CLAIM)
    checks.done()
    return items, settings


def evaluate(
    model: str,
    bench: str | Path,
    judge: str,
    out: str | Path,
    adapter: str | None = None,
    system_prompt: str | None = None,
    max_new_tokens: int = 100,
    temperature: float = 0.0,
    batch_size: int = BATCH_SIZE,
    concurrency: int = 8,
    limit: int | None = None,
    progress: bool = True,
) -> dict:
    """Run the whole evaluation into `out`; return the metrics. Re-running resumes."""
    out = Path(out)
    items, settings = validate(
        model,
        bench,
        judge,
        out,
        adapter,
        system_prompt,
        max_new_tokens,
        temperature,
        batch_size,
        concurrency,
        limit,
    )
    # the same responses judged by another judge (or head): judge them again
    if claim_run(out, settings, **CLAIM):
        (out / "judgments.jsonl").unlink(missing_ok=True)
        (out / "judgments.jsonl.partial").unlink(missing_ok=True)
    write_jsonl(out / "bench.jsonl", items)

    responses = out / "responses.jsonl"
    requests = [Request(it["id"], it["prompt"]) for it in items]
    sampling = Sampling(max_new_tokens, temperature, system_prompt)
    answer_missing(model, adapter, requests, sampling, responses, batch_size, concurrency, progress)
    judge_file(
        judge,
        responses,
        out / "judgments.jsonl",
        progress,
        batch_size=batch_size,
        concurrency=concurrency,
    )
    judgments = {j["id"]: j for j in read_jsonl(out / "judgments.jsonl", ["judge"], JUDGMENT)}
    names = {j["judge"] for j in judgments.values()}
    metrics = score(
        items,
        judgments,
        {
            "judge": ", ".join(sorted(names)),
            "model": model,
            "adapter": adapter,
            "system_prompt": system_prompt,
            "bench_sha256": settings["bench_sha256"],
        },
    )
    with atomic_write(out / "metrics.json") as f:
        json.dump(metrics, f, indent=1)
    return metrics
