"""`safetygap helpfulness`: a task's held-out items -> responses.jsonl -> scores.jsonl ->
helpfulness.json, resumable, with the generation settings eval uses."""

import json
from pathlib import Path

from safetygap import inputs
from safetygap.errors import Checks, UserError
from safetygap.finetune.tasks import check_task, is_file_task, load_examples, task_kind
from safetygap.generate.base import BATCH_SIZE, Request, Sampling
from safetygap.generate.runner import answer_missing
from safetygap.hashing import text_id, unit
from safetygap.helpfulness.scorers import SCORERS
from safetygap.jsonl import ID, atomic_write, read_json, read_jsonl
from safetygap.resume import claim_run, resumable
from safetygap.stats import bootstrap_corpus, rate


def sandbox_limits(cpu_seconds: int = 10, memory_mb: int = 512) -> dict:
    """The sandbox's limits for `--cpu-seconds` and `--memory-mb` (wall time: twice the CPU
    time, at least 5 s)."""
    return dict(cpu_s=cpu_seconds, memory_mb=memory_mb, wall_s=max(2 * cpu_seconds, 5))


def check_task_kind(task: str, kind: str | None) -> None:
    """A registered task, or a user file that exists with its --kind given; a known --kind."""
    checks = Checks()
    checks(check_task, task)
    if is_file_task(task) and kind is None:
        checks.add(f"{task}: a task file needs --kind ({', '.join(SCORERS)})")
    if kind is not None and kind not in SCORERS:
        checks(SCORERS.get, kind)
    checks.done()


def task_items(task: str, kind: str | None, limit: int | None) -> tuple[str, list[dict]]:
    """(task kind, items) of a registered task or a user file (whose kind must be given)."""
    check_task_kind(task, kind)
    kind = kind or task_kind(task)
    scorer = SCORERS.get(kind)
    if kind == "code":  # HumanEval, or the user's problems file; never the untested task data
        return kind, scorer.items(None, limit, task if is_file_task(task) else None)
    # A fixed order by hash of the id, so the first N are a fair sample (source files are often
    # sorted by label or by name).
    examples = sorted(load_examples(task, "eval"), key=lambda e: unit(e["id"], "helpfulness"))
    return kind, scorer.items(examples, limit)


def summarize(scores: list[dict], metrics) -> dict:
    """{metric: {value, ci_low, ci_high, n, interval}} from per-item statistics."""
    out = {}
    for m in metrics:
        rows = [s["stats"][m.name] for s in scores if m.name in s["stats"]]
        if m.proportion:
            k = int(sum(r[0] for r in rows))
            out[m.name] = {**rate(k, len(rows)), "interval": "wilson"}
        else:
            value, lo, hi = bootstrap_corpus(rows, m.aggregate)
            out[m.name] = {
                "value": value,
                "ci_low": lo,
                "ci_high": hi,
                "n": len(rows),
                "interval": "bootstrap",
            }
        out[m.name]["scale"] = m.scale
    return out


def same_setting(a, b) -> bool:
    """Equal, or two spellings of one local folder (a symlink, a relative path, a trailing /)."""
    if a == b:
        return True
    if not (isinstance(a, str) and isinstance(b, str)):
        return False
    pa, pb = Path(a), Path(b)
    return pa.exists() and pb.exists() and pa.resolve() == pb.resolve()


def over_refusal_of(run: str | Path, settings: dict) -> dict:
    """An eval run's over-refusal, checked to be of the same model and generation settings."""
    run = Path(run)
    if not (run / "settings.json").is_file() or not (run / "metrics.json").is_file():
        raise UserError(f"{run}: not a finished eval run (no settings.json/metrics.json)")
    theirs = read_json(run / "settings.json", "eval run's settings")
    metrics = read_json(run / "metrics.json", "eval run's metrics")
    keys = ("model", "adapter", "system_prompt", "temperature")
    differ = [k for k in keys if not same_setting(theirs.get(k), settings[k])]
    if differ:
        raise UserError(f"{run}: an eval run of another model or setting ({', '.join(differ)})")
    block = metrics.get("over_refusal")
    overall = block.get("overall") if isinstance(block, dict) else None
    if not isinstance(overall, dict):
        raise UserError(f"{run}/metrics.json: no over_refusal.overall")
    return {**overall, "eval_run": str(run)}


def validate(
    model,
    task,
    out,
    adapter,
    kind,
    system_prompt,
    max_new_tokens,
    temperature,
    batch_size,
    concurrency,
    limit,
    limits,
    eval_run,
):
    """Every mistake in a helpfulness run's input at once (UserError), before anything is
    written or a model loads; else (task kind, items, sandbox limits)."""
    from safetygap.helpfulness.sandbox import Limits

    checks = Checks()
    sandbox = checks(Limits, **(limits or {}))
    checks(inputs.at_least, "--limit", limit, 1)
    fair_limit = limit if limit is None or limit >= 1 else None  # a bad one is told above
    kind_and_items = checks(task_items, task, kind, fair_limit)
    checks(inputs.out_folder, out)
    checks(inputs.model_and_adapter, model, adapter)
    checks(inputs.generation, max_new_tokens, temperature, batch_size, concurrency)
    if eval_run:
        setting = dict(model=model, adapter=adapter, system_prompt=system_prompt)
        checks(over_refusal_of, eval_run, {**setting, "temperature": temperature})
    checks.done()
    return *kind_and_items, sandbox


def helpfulness(
    model: str,
    task: str,
    out: str | Path,
    adapter: str | None = None,
    kind: str | None = None,
    system_prompt: str | None = None,
    max_new_tokens: int | None = None,
    temperature: float = 0.0,
    batch_size: int = BATCH_SIZE,
    concurrency: int = 8,
    limit: int | None = None,
    limits: dict | None = None,
    eval_run: str | None = None,
    progress: bool = True,
) -> dict:
    """Answer a task's held-out items and score them into `out`; re-running resumes. `limits`:
    the sandbox's limits (`sandbox.Limits` fields) where not the defaults."""
    out = Path(out)
    kind, items, limits = validate(
        model,
        task,
        out,
        adapter,
        kind,
        system_prompt,
        max_new_tokens,
        temperature,
        batch_size,
        concurrency,
        limit,
        limits,
        eval_run,
    )
    scorer = SCORERS.get(kind)
    settings = {
        "model": model,
        "adapter": adapter,
        "system_prompt": system_prompt,
        "task": task,
        "kind": kind,
        "items_id": text_id(json.dumps(items, sort_keys=True)),
        "n_items": len(items),
        "max_new_tokens": max_new_tokens or scorer.MAX_NEW_TOKENS,
        "temperature": temperature,
        "sandbox": vars(limits) if kind == "code" else None,
    }
    over_refusal = over_refusal_of(eval_run, settings) if eval_run else None
    claim_run(out, settings)

    responses = out / "responses.jsonl"
    requests = [Request(it["id"], it["prompt"]) for it in items]
    sampling = Sampling(settings["max_new_tokens"], temperature, system_prompt)
    answer_missing(model, adapter, requests, sampling, responses, batch_size, concurrency, progress)
    answers = {str(r["id"]): r["response"] for r in read_jsonl(responses)}
    by_id = {it["id"]: it for it in items}
    score = scorer.score
    if kind == "code":

        def score(item, response):
            return scorer.score(item, response, limits)

    def produce(todo):
        for i in todo:
            yield {"id": i, **score(by_id[i], answers[i])}

    scored = {"id": ID, "stats": dict}
    resumable(out / "scores.jsonl", list(by_id), produce, "scoring", progress, scored)
    scores = read_jsonl(out / "scores.jsonl")
    report = {
        "task": task,
        "kind": kind,
        "n": len(items),
        "metrics": summarize(scores, scorer.METRICS),
        "over_refusal": over_refusal,
        "settings": settings,
    }
    with atomic_write(out / "helpfulness.json") as f:
        json.dump(report, f, indent=1)
    return report
