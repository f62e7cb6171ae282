"""Stream completions to a JSONL file; resume from a partial file; rename when complete."""

import json
import os
import time
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from safetygap.errors import UserError
from safetygap.generate.base import Backend, Request, Sampling
from safetygap.jsonl import dumps, read_jsonl


def read_requests(path: str | Path) -> list[Request]:
    """Requests from a JSONL file with `prompt` and optional `id` (default: line number)."""
    records = read_jsonl(path, required=["prompt"])
    requests, seen = [], set()
    for n, rec in enumerate(records):
        rid = str(rec.get("id", n))
        if not isinstance(rec["prompt"], str) or not rec["prompt"].strip():
            raise UserError(f"{path}: record {rid}: `prompt` must be a non-empty string")
        if rid in seen:
            raise UserError(f"{path}: duplicate id {rid!r}")
        seen.add(rid)
        requests.append(Request(rid, rec["prompt"]))
    return requests


def partial_path(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def _load_done(path: Path) -> dict[str, str]:
    """id -> line of the complete records in `path`; a torn last line is dropped."""
    done = {}
    if not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # the line being written when the run was killed
        if isinstance(rec, dict) and "id" in rec:
            done[str(rec["id"])] = line
    return done


def run(
    backend: Backend,
    requests: list[Request],
    sampling: Sampling,
    out: str | Path,
    progress: bool = True,
) -> tuple[int, int]:
    """Generate what `out` lacks; return (new, total). Finished file appears only when complete.

    Work goes to `out.partial` line by line (flushed), so a killed run loses at most the batch in
    flight; a re-run keeps what is there and answers only the missing ids.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = partial_path(out)
    done = _load_done(out)
    done.update(_load_done(part))
    wanted = {r.id for r in requests}
    todo = [r for r in requests if r.id not in done]
    if not todo and out.exists() and set(_load_done(out)) >= wanted:
        return 0, len(requests)
    with open(part, "w", encoding="utf-8") as f:  # rewrite clean: drops a torn last line
        for rid in done:
            f.write(done[rid] + "\n")
        f.flush()
        cols = [
            TextColumn("generating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[rate]}"),
        ]
        with Progress(*cols, disable=not progress, transient=False) as bar:
            task = bar.add_task("gen", total=len(todo), rate="")
            t0, n_tok = time.perf_counter(), 0
            for c in backend.generate(todo, sampling):
                rec = {
                    "id": c.id,
                    "model": backend.model,
                    "adapter": backend.adapter,
                    "system_prompt": sampling.system_prompt,
                    "prompt": next(r.prompt for r in todo if r.id == c.id),
                    "response": c.response,
                    "n_new_tokens": c.n_new_tokens,
                    "finish_reason": c.finish_reason,
                }
                f.write(dumps(rec) + "\n")
                f.flush()
                n_tok += c.n_new_tokens
                bar.update(
                    task, advance=1, rate=f"{n_tok / max(time.perf_counter() - t0, 1e-9):.1f} tok/s"
                )
        os.fsync(f.fileno())
    # Order the finished file like the requests, then publish it atomically.
    lines = _load_done(part)
    missing = wanted - set(lines)
    if missing:
        raise UserError(f"backend returned no answer for {len(missing)} prompt(s); re-run to retry")
    order = [r.id for r in requests] + sorted(set(lines) - wanted)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text("".join(lines[i] + "\n" for i in order), encoding="utf-8")
    os.replace(tmp, out)
    part.unlink()
    return len(todo), len(requests)
