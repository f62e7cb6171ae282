"""`safetygap eval` and `safetygap compare`."""

import json

import typer
from rich.console import Console
from rich.table import Table

from safetygap.generate.base import SYSTEM_PROMPT_HELP
from safetygap.judge import JUDGE_HELP
from safetygap.models.registry import DEFAULT_CHAT_MODEL


def _pct(x):
    return "-" if x is None else f"{100 * x:.1f}%"


def _cell(r: dict) -> str:
    return f"{_pct(r['value'])} ({_pct(r['ci_low'])}-{_pct(r['ci_high'])})"


def print_metrics(m: dict) -> None:
    """ASR (and harm ASR, where the judge gives it) by format, with Wilson 95% intervals."""
    harm = m.get("harm_asr")
    columns = ["slice", "ASR (95% CI)", *(["harm ASR (95% CI)"] if harm else []), "n"]
    table = Table(*columns, title=f"attack success rate ({m['judge']})")
    slices = [("overall", "overall", None)] + [
        (f"format: {k}", "by_format", k) for k in m["asr"]["by_format"]
    ]
    for name, key, sub in slices:
        r = m["asr"][key] if sub is None else m["asr"][key][sub]
        cells = [_cell(r)]
        if harm:
            cells.append(_cell(harm[key] if sub is None else harm[key][sub]))
        table.add_row(name, *cells, str(r["n"]))
    o = m["over_refusal"]["overall"]
    table.add_row("over-refusal (benign)", _cell(o), *([""] if harm else []), str(o["n"]))
    table.add_row("unparsed verdicts", str(m["unparsed"]["total"]), *([""] if harm else []), "")
    Console().print(table)
    if not harm:
        print("harm ASR: not measured (this judge gives no three-way level)")


def eval_command(
    bench: str = typer.Option(..., "--bench", help="Bench JSONL (`safetygap bench build`)."),
    out: str = typer.Option(..., "--out", help="Run folder: responses, judgments, metrics."),
    model: str = typer.Option(
        DEFAULT_CHAT_MODEL,
        "--model",
        help="Registry name, local folder, hub id or openai:MODEL@URL.",
    ),
    adapter: str = typer.Option(None, "--adapter", help="PEFT adapter folder to apply."),
    judge: str = typer.Option("classifier", "--judge", help=JUDGE_HELP),
    system_prompt: str = typer.Option("off", "--system-prompt", help=SYSTEM_PROMPT_HELP),
    max_new_tokens: int = typer.Option(100, "--max-new-tokens", min=1, help="The paper used 100."),
    temperature: float = typer.Option(
        0.0, "--temperature", min=0.0, help="0 = greedy (the paper used 0.1)."
    ),
    batch_size: int = typer.Option(
        16, "--batch-size", min=1, help="Prompts per local generation batch."
    ),
    concurrency: int = typer.Option(
        8, "--concurrency", min=1, help="Endpoint requests in flight (openai: models and judges)."
    ),
    limit: int = typer.Option(None, "--limit", min=1, help="Only the first N bench items."),
) -> None:
    """Answer a bench with a model, judge the answers, and score them.

    Writes OUT/responses.jsonl, OUT/judgments.jsonl and OUT/metrics.json (ASR overall, by
    format and by category, each with a Wilson 95% interval; over-refusal on benign items;
    unparsed count). Killed runs resume: run the same command again.
    """
    from safetygap.eval.run import evaluate
    from safetygap.generate.base import system_prompt_from

    m = evaluate(
        model,
        bench,
        judge,
        out,
        adapter,
        system_prompt_from(system_prompt),
        max_new_tokens,
        temperature,
        batch_size,
        concurrency,
        limit,
    )
    print_metrics(m)
    print(f"wrote {out}/metrics.json")


def compare_eval(run_a: str, run_b: str, out: str | None = None) -> None:
    """Per-format ASR (and harm ASR) difference between two eval runs on their shared items,
    exact McNemar test (`safetygap compare` on eval runs)."""
    from safetygap.eval.compare import compare
    from safetygap.jsonl import atomic_write

    rows = compare(run_a, run_b)
    harm = rows[0]["harm"] is not None
    columns = ["group", "n", "ASR A", "ASR B", "B - A", "only A", "only B", "McNemar p"]
    if harm:
        columns += ["harm A", "harm B", "B - A", "McNemar p"]
    table = Table(*columns, title=f"A = {run_a}   B = {run_b}")
    for r in rows:
        cells = [
            r["group"],
            str(r["n"]),
            _pct(r["asr_a"]),
            _pct(r["asr_b"]),
            f"{100 * r['diff']:+.1f} pt",
            str(r["only_a"]),
            str(r["only_b"]),
            f"{r['p_value']:.3g}",
        ]
        if harm:
            h = r["harm"]
            cells += [
                _pct(h["a"]),
                _pct(h["b"]),
                f"{100 * h['diff']:+.1f} pt",
                f"{h['p_value']:.3g}",
            ]
        table.add_row(*cells)
    Console().print(table)
    if not harm:
        print("harm ASR: not compared (a judge of these runs gives no three-way level)")
    if out:
        with atomic_write(out) as f:
            json.dump(rows, f, indent=1)
