"""`safetygap eval`: bench -> responses.jsonl -> judgments.jsonl -> metrics.json, resumable."""

import json
from pathlib import Path

from safetygap.bench.items import read_bench
from safetygap.errors import UserError
from safetygap.eval.metrics import score
from safetygap.generate.base import Request, Sampling, load_backend
from safetygap.generate.runner import run as generate
from safetygap.jsonl import atomic_write, read_jsonl, sha256_file, write_jsonl
from safetygap.judge import check_judge_spec, judge_fingerprint
from safetygap.judge.run import judge_file
from safetygap.models.registry import parse_spec
from safetygap.resume import load_done


def evaluate(
    model: str,
    bench: str | Path,
    judge: str,
    out: str | Path,
    adapter: str | None = None,
    system_prompt: str | None = None,
    max_new_tokens: int = 100,
    temperature: float = 0.0,
    batch_size: int = 16,
    concurrency: int = 8,
    limit: int | None = None,
    progress: bool = True,
) -> dict:
    """Run the whole evaluation into `out`; return the metrics. Re-running resumes."""
    out = Path(out)
    items = read_bench(bench, limit)
    settings = {
        "model": model,
        "adapter": adapter,
        "system_prompt": system_prompt,
        "bench": str(bench),
        "bench_sha256": sha256_file(bench),
        "n_items": len(items),
        "max_new_tokens": max_new_tokens,
        "temperature": temperature,
        "judge": judge,
        "judge_sha256": judge_fingerprint(judge),
    }
    check_judge_spec(judge)
    parse_spec(model)
    if adapter and not Path(adapter, "adapter_config.json").is_file():
        raise UserError(f"{adapter}: not a PEFT adapter folder (no adapter_config.json)")
    settings_path = out / "settings.json"
    if settings_path.exists():
        old = json.loads(settings_path.read_text())
        changed = [k for k in settings if k != "bench" and old.get(k) != settings[k]]
        if set(changed) <= {"judge", "judge_sha256"}:  # same responses, another judge: rejudge
            (out / "judgments.jsonl").unlink(missing_ok=True)
            (out / "judgments.jsonl.partial").unlink(missing_ok=True)
        elif changed:
            raise UserError(
                f"{out} holds a run with other settings ({', '.join(changed)}); "
                "choose another --out"
            )
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(settings_path) as f:
        json.dump(settings, f, indent=1)
    write_jsonl(out / "bench.jsonl", items)

    responses = out / "responses.jsonl"
    requests = [Request(it["id"], it["prompt"]) for it in items]
    if not {r.id for r in requests} <= set(load_done(responses)):  # else no model to load
        backend = load_backend(model, adapter, batch_size=batch_size, concurrency=concurrency)
        generate(
            backend,
            requests,
            Sampling(max_new_tokens, temperature, system_prompt),
            responses,
            progress,
        )
    judge_file(
        judge,
        responses,
        out / "judgments.jsonl",
        progress,
        batch_size=batch_size,
        concurrency=concurrency,
    )
    judgments = {j["id"]: j for j in read_jsonl(out / "judgments.jsonl")}
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
