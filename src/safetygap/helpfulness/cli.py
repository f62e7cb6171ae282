"""`safetygap helpfulness`, and the helpfulness half of `safetygap compare`."""

import typer
from rich.table import Table

from safetygap.eval.cli import SHOW_FLIPS_HELP
from safetygap.generate.base import BATCH_SIZE, SYSTEM_PROMPT_HELP
from safetygap.models.registry import DEFAULT_CHAT_MODEL
from safetygap.tables import print_table

KIND_HELP = "A task file's kind: summarization, translation, code or classification."


def _value(x, scale: str) -> str:
    if x is None or x != x:
        return "-"
    return f"{100 * x:.1f}" if scale == "0-1" else f"{x:.1f}"


def print_report(report: dict) -> None:
    """The metrics with their 95% intervals (0-1 metrics shown in percent)."""
    t = Table("metric", "value (95% CI)", "n", "interval", title=f"helpfulness: {report['task']}")
    for name, m in report["metrics"].items():
        s = m["scale"]
        cell = f"{_value(m['value'], s)} ({_value(m['ci_low'], s)}-{_value(m['ci_high'], s)})"
        t.add_row(name, cell, str(m["n"]), m["interval"])
    o = report.get("over_refusal")
    if o:
        t.add_row(
            "over-refusal (benign, eval)",
            f"{_value(o['value'], '0-1')} "
            f"({_value(o['ci_low'], '0-1')}-{_value(o['ci_high'], '0-1')})",
            str(o["n"]),
            "wilson",
        )
    print_table(t)


def helpfulness_command(
    task: str = typer.Option(
        ..., "--task", help="A registered task (`safetygap tasks list`) or a JSONL file."
    ),
    out: str = typer.Option(..., "--out", help="Run folder: responses, scores, helpfulness.json."),
    model: str = typer.Option(
        DEFAULT_CHAT_MODEL,
        "--model",
        help="Registry name, local folder, hub id or openai:MODEL@URL.",
    ),
    adapter: str = typer.Option(None, "--adapter", help="PEFT adapter folder to apply."),
    kind: str = typer.Option(None, "--kind", help=KIND_HELP),
    limit: int = typer.Option(
        None,
        "--limit",
        help="Only N held-out items, the first in a fixed order by hash of their id "
        "(translation: N per direction; code: the first N problems).",
    ),
    system_prompt: str = typer.Option("off", "--system-prompt", help=SYSTEM_PROMPT_HELP),
    max_new_tokens: int = typer.Option(
        None,
        "--max-new-tokens",
        help="Default per task: summarization 48, translation 192, code 256, classification 16.",
    ),
    temperature: float = typer.Option(0.0, "--temperature", help="0 = greedy."),
    batch_size: int = typer.Option(
        BATCH_SIZE, "--batch-size", help="Prompts answered together by a local model."
    ),
    concurrency: int = typer.Option(8, "--concurrency", help="Endpoint requests in flight."),
    eval_run: str = typer.Option(
        None,
        "--eval",
        help="An eval run of the same model and settings: its over-refusal on benign look-alikes "
        "is reported next to the task metrics.",
    ),
    cpu_seconds: int = typer.Option(
        10, "--cpu-seconds", help="Code: CPU-time limit of each program in the sandbox."
    ),
    memory_mb: int = typer.Option(
        512, "--memory-mb", help="Code: address-space limit of each program in the sandbox."
    ),
) -> None:
    """Score a model's skill on a fine-tuning task's held-out split (never seen in training).

    summarization: ROUGE-1/2/L (rouge-score, stemmed); translation: chrF++ and BLEU (sacrebleu),
    English->French and back; code: pass@1 on HumanEval, run in the sandbox (or on a file of
    problems in HumanEval's shape, with --kind code); classification: accuracy, macro-F1 and
    the share of answers naming no label. Writes OUT/responses.jsonl, OUT/scores.jsonl (per
    item) and OUT/helpfulness.json (each metric with a 95% interval: Wilson for 0/1 metrics,
    a bootstrap over items for the rest). Killed runs resume: run the same command again.
    """
    from safetygap.generate.base import system_prompt_from
    from safetygap.helpfulness.run import helpfulness, sandbox_limits

    limits = sandbox_limits(cpu_seconds, memory_mb)
    report = helpfulness(
        model,
        task,
        out,
        adapter=adapter,
        kind=kind,
        system_prompt=system_prompt_from(system_prompt, adapter),
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        batch_size=batch_size,
        concurrency=concurrency,
        limit=limit,
        limits=limits,
        eval_run=eval_run,
    )
    print_report(report)
    print(f"wrote {out}/helpfulness.json")


def print_comparison(rows: list[dict], run_a: str, run_b: str) -> None:
    t = Table(
        "metric", "n", "A", "B", "B - A (95% CI)", "p", "test", title=f"A = {run_a}   B = {run_b}"
    )
    for r in rows:
        s = r["scale"]
        diff = _value(r["diff"], s)
        if r["ci_low"] is not None:
            diff += f" ({_value(r['ci_low'], s)} to {_value(r['ci_high'], s)})"
        t.add_row(
            r["metric"],
            str(r["n"]),
            _value(r["a"], s),
            _value(r["b"], s),
            diff,
            f"{r['p_value']:.3g}",
            r["test"],
        )
    print_table(t)


def validate_compare(runs: list[str], out, show_flips: bool, alpha: float):
    """Every mistake in compare's input at once (UserError); else the two groups of eval runs
    (`A1 A2 ... vs B1 B2 ...`), or None for two runs."""
    from safetygap import inputs
    from safetygap.errors import Checks

    checks = Checks()
    checks(inputs.significance, alpha)
    if out:
        checks(inputs.out_file, out)
    for run in dict.fromkeys(r for r in runs if r != "vs"):
        checks(inputs.in_folder, run, "run folder")
    groups = None
    if "vs" in runs:
        cut = runs.index("vs")
        groups = runs[:cut], runs[cut + 1 :]
        if not groups[0] or not groups[1] or "vs" in groups[1]:
            checks.add("give the groups as A1 A2 ... vs B1 B2 ..., with runs on both sides")
        if show_flips:
            checks.add("--show-flips lists the items of two runs, not of two groups")
    elif len(runs) != 2:
        checks.add(
            f"give two runs (RUN_A RUN_B) or two groups (A1 A2 ... vs B1 B2 ...), not {len(runs)}"
        )
    checks.done()
    return groups


def compare_command(
    runs: list[str] = typer.Argument(
        ...,
        help="RUN_A RUN_B, or groups of eval runs: A1 A2 ... vs B1 B2 ... (a model's seeds).",
        metavar="RUN_A RUN_B | A... vs B...",
    ),
    out: str = typer.Option(None, "--out", help="Also write the rows as JSON here."),
    show_flips: bool = typer.Option(
        False, "--show-flips", help=f"Eval runs: {SHOW_FLIPS_HELP[0].lower()}{SHOW_FLIPS_HELP[1:]}"
    ),
    alpha: float = typer.Option(
        0.05, "--alpha", help="Level of the tests, and of the smallest rise they could detect."
    ),
) -> None:
    """Compare two runs of the same items, paired; or two groups of eval runs, each one model
    trained with several seeds (`A1 A2 A3 vs B1 B2 B3`).

    Eval runs: per-format ASR (and harm ASR) difference, exact McNemar test, and the smallest
    rise the items could show (80% power); `--show-flips` lists the items whose verdict changed
    (their ids are in `--out` too). Groups: the mean over seeds on each side, the difference
    with an interval that counts the seed-to-seed spread as well as the items, paired by seed
    where both sides hold the same seeds (docs/statistics.md); a side may be one run only when
    it is the base. Helpfulness runs: each metric's difference, with an exact McNemar test for
    0/1 metrics (pass@1, accuracy) and a paired bootstrap interval and p-value for the others.
    """
    import json

    from safetygap.errors import UserError
    from safetygap.eval.cli import compare_eval, compare_eval_groups
    from safetygap.helpfulness.compare import compare, is_helpfulness_run
    from safetygap.jsonl import atomic_write

    groups = validate_compare(runs, out, show_flips, alpha)
    if groups:
        return compare_eval_groups(*groups, out, alpha)
    run_a, run_b = runs
    if not (is_helpfulness_run(run_a) or is_helpfulness_run(run_b)):
        return compare_eval(run_a, run_b, out, show_flips, alpha)
    if show_flips:
        raise UserError("--show-flips lists the items of eval runs; these are helpfulness runs")
    rows = compare(run_a, run_b)
    print_comparison(rows, run_a, run_b)
    if out:
        with atomic_write(out) as f:
            json.dump(rows, f, indent=1)
