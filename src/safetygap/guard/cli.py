"""`safetygap guard`."""

import typer
from rich.table import Table

from safetygap.guard import GUARD_HELP
from safetygap.tables import print_table


def _pct(r: dict | None) -> str:
    if not r or r.get("value") is None:
        return "-"
    return f"{100 * r['value']:.1f} ({100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f})"


def print_report(report: dict) -> None:
    """Per format: recall, its change against plain, false positives, and (given a run) the
    run's ASR before and after the guard."""
    with_run = "residual_asr" in report
    cols = ["format", "recall % (95% CI)", "vs plain", "false positives %", "n"]
    if with_run:
        cols += ["run ASR %", "ASR behind guard %"]
    t = Table(*cols, title=f"guard {report['guard']} ({report['mode']} mode)")
    formats = sorted(
        set(report["recall"]["by_format"]) | set(report["false_positive_rate"]["by_format"]),
        key=lambda f: (f != "plain", f),
    )

    def pick(block: dict, fmt: str) -> dict | None:
        return block["overall"] if fmt == "overall" else block["by_format"].get(fmt)

    for fmt in [*formats, "overall"]:
        recall = pick(report["recall"], fmt)
        cross = report["cross_format"].get(fmt)
        vs = f"{100 * cross['difference']:+.1f} (p={cross['p_value']:.2g})" if cross else ""
        row = [fmt, _pct(recall), vs, _pct(pick(report["false_positive_rate"], fmt))]
        row.append(str((recall or {}).get("n", 0)))
        if with_run:
            row += [_pct(pick(report["run_asr"], fmt)), _pct(pick(report["residual_asr"], fmt))]
        t.add_row(*row)
    print_table(t)
    lat = report["latency_ms"]
    if lat["n"]:
        print(
            f"latency per request: median {lat['median']:.1f} ms, p95 {lat['p95']:.1f} ms "
            f"(batch 1, n={lat['n']}); throughput {report['items_per_s']} items/s (batched)"
        )
    if report["unparsed"]["total"]:
        print(f"unparsed guard replies: {report['unparsed']['total']} (left out of rates)")


def guard_command(
    guard: str = typer.Option(..., "--guard", help=f"The guard: {GUARD_HELP}."),
    bench: str = typer.Option(..., "--bench", help="Bench JSONL file (harmful and benign items)."),
    out: str = typer.Option(..., "--out", help="Run folder: verdicts.jsonl and guard.json."),
    run: str = typer.Option(
        None,
        "--run",
        help="An eval run folder made on this bench: adds the run's ASR behind the guard "
        "(and, with --mode output, gives the guard its responses to read).",
    ),
    mode: str = typer.Option(
        "input",
        "--mode",
        help="input: the guard reads each prompt (it sits in front of the model); output: it "
        "reads each response of --run (it sits behind the model).",
    ),
    limit: int = typer.Option(None, "--limit", min=1, help="Only the first N bench items."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, help="Items per guard call."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Endpoint requests in flight."),
    latency_items: int = typer.Option(
        20, "--latency-items", min=0, help="Items timed one at a time for the latency figures."
    ),
) -> None:
    """How much a guard catches, per format: does an input or output filter still flag a
    harmful request in every format?

    Input mode: recall on harmful prompts and false-positive rate on benign look-alikes, per
    format and category (Wilson 95% intervals), and each format's recall against plain's on
    the same seeds (exact McNemar). With --run (an eval run): the run's ASR once the guard
    blocks what it flags. Output mode (needs --run): the guard reads the responses instead.
    Also latency per request and throughput. Unparsed guard replies are counted, never read
    as safe. Writes OUT/verdicts.jsonl and OUT/guard.json; a killed run resumes.
    """
    from safetygap.errors import UserError
    from safetygap.guard import MODES
    from safetygap.guard.run import guard_run

    if mode not in MODES:
        raise UserError(f"unknown --mode {mode!r}: choose from {', '.join(MODES)}")
    report = guard_run(
        guard,
        bench,
        out,
        run=run,
        mode=mode,
        limit=limit,
        batch_size=batch_size,
        concurrency=concurrency,
        latency_items=latency_items,
    )
    print_report(report)
    print(f"wrote {out}/guard.json")
