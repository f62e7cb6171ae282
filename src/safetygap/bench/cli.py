"""`safetygap bench build|stats|export`: the harmful bench, asked in every format."""

from pathlib import Path

import typer

from safetygap.bench.formats import FORMATS
from safetygap.bench.pool import TEST_FRACTION
from safetygap.bench.seeds import SOURCES

app = typer.Typer(
    help="Build and inspect the bench: harmful requests (and benign look-alikes) "
    "asked in each format (plain, and the way each fine-tuning task's data reads).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

SOURCES_HELP = (
    f"Seed sources, comma-separated or repeated: {', '.join(SOURCES)}; 'none' for no built-in "
    "source. Default: all of them, or only the benign look-alike sources when --seed-file or "
    "--hub is given."
)
FORMATS_HELP = f"Formats, comma-separated or repeated: {', '.join(FORMATS)} (default: all)."


def seed_options(
    sources,
    seed_file,
    prompt_column,
    category_column,
    french_column,
    hub,
    hub_split,
    hub_config,
    test_fraction,
):
    from safetygap.bench.build import SeedOptions

    return SeedOptions(
        sources=sources or None,
        seed_file=seed_file,
        prompt_column=prompt_column,
        category_column=category_column,
        french_column=french_column,
        hub=hub,
        hub_split=hub_split,
        hub_config=hub_config,
        test_fraction=test_fraction,
    )


# Shared option declarations (also used by `safetygap data build`).
SourcesOpt = typer.Option(None, "--sources", help=SOURCES_HELP)
SeedFileOpt = typer.Option(
    None,
    "--seed-file",
    help="A CSV or JSONL file of harmful requests to use as seeds.",
    dir_okay=False,
)
PromptColumnOpt = typer.Option(
    "prompt", "--prompt-column", help="Column of --seed-file / --hub holding the request."
)
CategoryColumnOpt = typer.Option(
    None,
    "--category-column",
    help="Column holding each request's category (kept as "
    "source_category, normalised into the taxonomy).",
)
FrenchColumnOpt = typer.Option(
    None,
    "--french-column",
    help="Column of --seed-file holding the request in French "
    "(enables the French-to-English translation templates).",
)
HubOpt = typer.Option(
    None,
    "--hub",
    help="A Hugging Face dataset name to load seeds from (needs the hub or a warm local cache).",
)
HubSplitOpt = typer.Option("train", "--hub-split", help="Split of the --hub dataset.")
HubConfigOpt = typer.Option(None, "--hub-config", help="Config name of the --hub dataset.")
TestFractionOpt = typer.Option(
    TEST_FRACTION,
    "--test-fraction",
    help="Share of seed clusters put in the test split (use the same value for bench and data).",
)


BUILD_HELP = (
    "Write the bench (one item per seed and format) and FILE.manifest.json beside it.\n\n"
    "Seeds are read at run time from the installed packages (or your file), near-duplicates "
    "are merged, and the seeds are split into train/test by similarity cluster. Same options "
    "give the same bytes."
)


@app.command("build", help=BUILD_HELP)
def build(
    out: Path = typer.Option(..., "--out", help="The bench JSONL file to write."),
    split: str = typer.Option("test", "--split", help="Which seed split to wrap: test or train."),
    seeds: int | None = typer.Option(
        None,
        "--seeds",
        help="At most this many harmful seeds, spread over categories "
        "(default: every seed of the split).",
    ),
    benign: int | None = typer.Option(
        None,
        "--benign",
        help="At most this many benign look-alike seeds. Default: one per five --seeds "
        "(at least 1), or every benign seed of the split when --seeds is not given.",
    ),
    formats: list[str] | None = typer.Option(None, "--formats", help=FORMATS_HELP),
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
    from safetygap.bench.build import build_to_file

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
    formats = [*(formats or []), *(tasks or [])] or None
    result, manifest = build_to_file(out, opts, split, seeds, benign, formats)
    m = result.manifest
    typer.echo(
        f"wrote {out}: {m['n_items']} items ({m['n_harmful']} harmful, {m['n_benign']} benign) "
        f"from {m['seeds']['used_harmful']} harmful and {m['seeds']['used_benign']} benign "
        f"{split} seeds; manifest {manifest}"
    )


@app.command("stats")
def stats(file: Path = typer.Argument(..., help="A bench JSONL file.", dir_okay=False)) -> None:
    """Print the bench's composition: items by format, category, source and template."""
    from rich.table import Table

    from safetygap.bench.build import composition
    from safetygap.bench.items import read_bench
    from safetygap.tables import print_table

    records = read_bench(file, required=("category", "source", "harmful"))
    for r in records:
        r.setdefault("template", "?")
    comp = composition(records)
    table = Table(title=f"{file}: {comp['n_items']} items")
    table.add_column("format")
    table.add_column("harmful", justify="right")
    table.add_column("benign", justify="right")
    for fmt, c in comp["by_format"].items():
        table.add_row(fmt, str(c["harmful"]), str(c["benign"]))
    table.add_row("total", str(comp["n_harmful"]), str(comp["n_benign"]), style="bold")
    print_table(table)

    formats = list(comp["by_format"])
    table = Table(title="items by category and format")
    table.add_column("category")
    for fmt in formats:
        table.add_column(fmt, justify="right")
    table.add_column("total", justify="right")
    for cat, n in comp["by_category"].items():
        per = [
            sum(1 for r in records if r["category"] == cat and r["format"] == f) for f in formats
        ]
        table.add_row(cat, *map(str, per), str(n))
    print_table(table)

    table = Table(title="items by source")
    table.add_column("source")
    table.add_column("items", justify="right")
    for src, n in comp["by_source"].items():
        table.add_row(src, str(n))
    print_table(table)

    table = Table(title="items by template")
    table.add_column("format")
    table.add_column("template")
    table.add_column("items", justify="right")
    pairs = sorted({(r["format"], r["template"]) for r in records})
    for fmt, template in pairs:
        n = sum(1 for r in records if r["format"] == fmt and r["template"] == template)
        table.add_row(fmt, template, str(n))
    print_table(table)


EXPORT_HELP = (
    "Write the bench as a Hugging Face datasets folder (`datasets.load_from_disk(DIR)`), with "
    "a dataset card, DIR/README.md: fields, formats and templates, seed sources and their "
    "licences, the split rule.\n\n"
    "Split `bench` holds the items; with --safety-data, split `safety_data` the safety records "
    "(build them with the bench's seed options). DIR must be new or empty; a failed export "
    "leaves none."
)


@app.command("export", help=EXPORT_HELP)
def export(
    file: Path = typer.Argument(..., help="A bench JSONL file.", dir_okay=False),
    out: Path = typer.Option(..., "--out", help="The datasets folder to write (new or empty)."),
    safety_data: Path | None = typer.Option(
        None,
        "--safety-data",
        help="Also export this safety dataset (`safetygap data build --kind all-formats`).",
        dir_okay=False,
    ),
) -> None:
    from safetygap.bench.export import BENCH_SPLIT, SAFETY_SPLIT
    from safetygap.bench.export import export as export_bench

    export_bench(file, out, safety_data)
    splits = BENCH_SPLIT + (f" and {SAFETY_SPLIT}" if safety_data else "")
    typer.echo(f"wrote {out}: split(s) {splits}, card {out / 'README.md'}")
