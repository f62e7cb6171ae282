"""`safetygap guard` (measure a guard) and `safetygap guard train` (a classifier head)."""

import typer
from rich.table import Table

from safetygap.guard import GUARD_HELP
from safetygap.tables import print_table

app = typer.Typer(
    no_args_is_help=True,
    invoke_without_command=True,
    rich_markup_mode="markdown",
)


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


@app.callback()
def guard_command(
    ctx: typer.Context,
    guard: str = typer.Option(None, "--guard", help=f"Required: the guard, {GUARD_HELP}."),
    bench: str = typer.Option(
        None, "--bench", help="Required: the bench JSONL file (harmful and benign items)."
    ),
    out: str = typer.Option(
        None, "--out", help="Required: the run folder (verdicts.jsonl and guard.json)."
    ),
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
    limit: int = typer.Option(None, "--limit", help="Only the first N bench items."),
    batch_size: int = typer.Option(16, "--batch-size", help="Items per guard call."),
    concurrency: int = typer.Option(8, "--concurrency", help="Endpoint requests in flight."),
    latency_items: int = typer.Option(
        20, "--latency-items", help="Items timed one at a time for the latency figures."
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

    `safetygap guard train` builds a classifier guard's head instead.
    """
    from safetygap.errors import Checks, UserError
    from safetygap.guard import canonical_guard_spec
    from safetygap.guard.run import guard_run, validate

    given = {"--guard": guard, "--bench": bench, "--out": out}
    if ctx.invoked_subcommand:
        named = [k for k, v in given.items() if v is not None]
        if named:
            raise UserError(f"{named[0]} belongs to `guard`, not `guard {ctx.invoked_subcommand}`")
        return
    missing = [name for name, value in given.items() if value is None]
    if missing:  # told with the other mistakes (guard_run checks its input itself otherwise)
        checks = Checks()
        for name in missing:
            checks.add(f"Missing option '{name}'.")
        guard = canonical_guard_spec(guard) if guard is not None else None
        args = (guard, bench, out, run, mode, limit, batch_size, concurrency, latency_items)
        checks(validate, *args)
        checks.done()
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


@app.command("train")
def train_command(
    formats: str = typer.Option(
        ...,
        "--formats",
        help="Which items the head learns from: plain (the plain-format requests; the shipped "
        "`plain` head) or all-formats (every format; the shipped `all-formats` head).",
    ),
    out: str = typer.Option(..., "--out", help="Folder for head.json."),
    seeds: int = typer.Option(
        None, "--seeds", help="At most N harmful train seeds (default: all, as shipped)."
    ),
    benign: int = typer.Option(
        None,
        "--benign",
        help="At most N benign look-alike train seeds (default: all, or one per five --seeds).",
    ),
    l2: float = typer.Option(
        None,
        "--l2",
        help="L2 penalty of the head (default: the best of 0.1 ... 10 by 5-fold CV by seed).",
    ),
) -> None:
    """Train a classifier guard's head by the shipped heads' recipe (`guard/train.py`).

    The train bench (every train-split seed, harmful and benign look-alikes, in every format)
    and the train half of the ordinary everyday requests; with --formats plain only their
    plain-format items. The L2 penalty is chosen by cross-validation grouped by seed, scored by
    balanced accuracy, then one fit on every item. Writes OUT/head.json; use it as
    `classifier:OUT`. The defaults rebuild the shipped heads.
    """
    from safetygap import inputs
    from safetygap.errors import Checks
    from safetygap.guard.classifier import save_head
    from safetygap.guard.train import build_head, select

    checks = Checks()
    checks(select, [], formats)  # an unknown --formats fails before the bench is built
    checks(inputs.out_folder, out)
    checks(inputs.at_least, "--seeds", seeds, 1)
    checks(inputs.at_least, "--benign", benign, 0)
    checks(inputs.at_least, "--l2", l2, 0.0)
    checks.done()
    head = build_head(formats, seeds=seeds, benign=benign, l2=l2)
    path = save_head(head, out)
    print(
        f"wrote {path}: {head['n_train']} items ({head['n_harmful']} harmful), l2 {head['l2']}, "
        f"train accuracy {head['train_accuracy']:.3f}"
    )
