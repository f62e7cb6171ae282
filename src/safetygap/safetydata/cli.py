"""`safetygap data build|import|audit`: safety datasets for mitigation."""

from pathlib import Path

import typer

from safetygap.bench.cli import (
    FORMATS_HELP,
    CategoryColumnOpt,
    FrenchColumnOpt,
    HubConfigOpt,
    HubOpt,
    HubSplitOpt,
    PromptColumnOpt,
    SeedFileOpt,
    SourcesOpt,
    TestFractionOpt,
    seed_options,
)

app = typer.Typer(
    help="Safety datasets for mitigation: harmful requests answered with refusals that fit "
    "each format, plus benign examples answered normally. Built from train seeds only.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@app.command(
    "build",
    help="Write a safety dataset (id, seed_id, format, template, harmful, prompt, response) and "
    "FILE.manifest.json.\n\nUse the same seed options as for `safetygap bench build` so that "
    "the train/test split is the same: only train seeds are used.",
)
def build(
    kind: str = typer.Option(
        ...,
        "--kind",
        help="all-formats: refusals in every format; plain: the same "
        "seeds in plain chat format only (the 'Safety-Tuned LLaMAs' style).",
    ),
    out: Path = typer.Option(..., "--out", help="The JSONL file to write."),
    per_format: int = typer.Option(
        500, "--per-format", help="Harmful examples per format (the paper used 500)."
    ),
    formats: list[str] | None = typer.Option(
        None, "--formats", help=f"all-formats only. {FORMATS_HELP}"
    ),
    per_task: int | None = typer.Option(None, "--per-task", hidden=True),  # old --per-format
    tasks: list[str] | None = typer.Option(None, "--tasks", hidden=True),  # old --formats
    sources: list[str] | None = SourcesOpt,
    seed_file: Path | None = SeedFileOpt,
    prompt_column: str = PromptColumnOpt,
    category_column: str | None = CategoryColumnOpt,
    french_column: str | None = FrenchColumnOpt,
    hub: str | None = HubOpt,
    hub_split: str = HubSplitOpt,
    hub_config: str | None = HubConfigOpt,
    test_fraction: float = TestFractionOpt,
) -> None:
    from safetygap import inputs
    from safetygap.bench.build import write_with_manifest
    from safetygap.errors import Checks
    from safetygap.safetydata.build import build_safety_data, check_safety_data

    opts = seed_options(
        sources,
        seed_file,
        prompt_column,
        category_column,
        french_column,
        hub,
        hub_split,
        hub_config,
        test_fraction,
    )
    if per_task is not None:
        per_format = per_task
    formats = [*(formats or []), *(tasks or [])] or None
    checks = Checks()
    checks(inputs.out_file, out)
    checks(check_safety_data, kind, opts, per_format, formats)
    checks.done()
    result = build_safety_data(kind, opts, per_format=per_format, formats=formats)
    manifest = write_with_manifest(out, result.records, result.manifest)
    m = result.manifest
    typer.echo(
        f"wrote {out}: {m['n_items']} examples ({m['n_harmful']} refusals, "
        f"{m['n_benign']} benign answers); manifest {manifest}"
    )


@app.command(
    "import",
    help="Convert a safety dataset in the paper's format (Query, Response columns) into "
    "safetygap's records (format: imported).",
)
def import_(
    file: Path = typer.Argument(
        ..., help="A CSV (or JSONL) of query/response pairs.", dir_okay=False
    ),
    out: Path = typer.Option(..., "--out", help="The JSONL file to write."),
    query_column: str = typer.Option("Query", "--query-column", help="Column of the query."),
    response_column: str = typer.Option(
        "Response", "--response-column", help="Column of the response."
    ),
    label: str = typer.Option(
        "harmful",
        "--label",
        help="What the queries are: harmful (default, as in the paper's file of harmful "
        "queries with refusals) or benign.",
    ),
    benign: bool = typer.Option(False, "--benign", hidden=True, help="The old --label benign."),
) -> None:
    from safetygap import inputs
    from safetygap.errors import Checks
    from safetygap.jsonl import write_jsonl
    from safetygap.safetydata.importer import import_pairs

    checks = Checks()
    if label not in ("harmful", "benign"):
        checks.add(f"--label must be harmful or benign, got {label!r}")
    harmful = label == "harmful" and not benign
    records = checks(import_pairs, file, query_column, response_column, harmful=harmful)
    checks(inputs.out_file, out)
    checks.done()
    write_jsonl(out, records)
    typer.echo(f"wrote {out}: {len(records)} examples")


@app.command("audit")
def audit_command(
    file: Path = typer.Argument(
        ..., help="A safety dataset: our JSONL or a Query/Response CSV.", dir_okay=False
    ),
    judges: list[str] = typer.Option(
        ["classifier,keyword"],
        "--judges",
        help="Judges, comma-separated or repeated; a record is flagged when every one says "
        "`answered`.",
    ),
    query_column: str = typer.Option("Query", "--query-column", help="CSV column of the query."),
    response_column: str = typer.Option(
        "Response", "--response-column", help="CSV column of the response."
    ),
    out: Path = typer.Option(None, "--out", help="Write the flagged ids and scores (JSON)."),
    show: int = typer.Option(5, "--show", help="Print this many flagged examples."),
    width: int = typer.Option(100, "--width", help="Truncate shown texts to this."),
) -> None:
    """Flag harmful-query records whose 'refusal' actually complies, and summarise."""
    import json

    from safetygap import inputs
    from safetygap.errors import Checks
    from safetygap.jsonl import atomic_write
    from safetygap.judge import check_judge
    from safetygap.registry import split_names
    from safetygap.safetydata.audit import audit, read_pairs

    names = split_names(judges)
    checks = Checks()
    checks(read_pairs, file, query_column, response_column)
    for name in names:
        checks(check_judge, name)
    if out:
        checks(inputs.out_file, out)
    checks(inputs.at_least, "--show", show, 0)
    checks(inputs.at_least, "--width", width, 20)
    checks.done()
    report = audit(file, names, query_column, response_column)
    typer.echo(f"{report['n']} harmful-query records in {file}")
    for name, n in report["answered_by_judge"].items():
        typer.echo(f"  judged answered by {name}: {n} ({100 * n / max(report['n'], 1):.1f}%)")
    typer.echo(f"  flagged (answered by all {len(names)} judges): {len(report['flagged'])}")
    if show and report["flagged"]:
        by_id = {p["id"]: p for p in read_pairs(file, query_column, response_column)}
        for f in report["flagged"][:show]:
            p = by_id[f["id"]]
            typer.echo(f"  - {p['prompt'][:width]!r} -> {p['response'][:width]!r}")
    if out:
        with atomic_write(out) as fh:
            json.dump(report, fh, indent=1)
