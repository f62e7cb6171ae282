"""`safetygap data build|import`: safety datasets for mitigation."""

from pathlib import Path

import typer

from safetygap.bench.cli import (
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
    "each task, plus benign examples answered normally. Built from train seeds only.",
    no_args_is_help=True,
)


@app.command(
    "build",
    help="Write a safety dataset (id, seed_id, task, template, harmful, prompt, response) and "
    "FILE.manifest.json.\n\nUse the same seed options as for `safetygap bench build` so that "
    "the train/test split is the same: only train seeds are used.",
)
def build(
    kind: str = typer.Option(
        ...,
        "--kind",
        help="multitask: refusals in every task format; singletask: the same "
        "seeds in plain chat format only (the 'Safety-Tuned LLaMAs' style).",
    ),
    out: Path = typer.Option(..., "--out", help="The JSONL file to write.", dir_okay=False),
    per_task: int = typer.Option(
        500, "--per-task", help="Harmful examples per task (the paper used 500)."
    ),
    tasks: list[str] | None = typer.Option(
        None, "--tasks", help="multitask only: tasks, comma-separated or repeated (default: all)."
    ),
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
    from safetygap.bench.build import write_with_manifest
    from safetygap.data.build import build_safety_data

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
    result = build_safety_data(kind, opts, per_task=per_task, tasks=tasks)
    manifest = write_with_manifest(out, result.records, result.manifest)
    m = result.manifest
    typer.echo(
        f"wrote {out}: {m['n_items']} examples ({m['n_harmful']} refusals, "
        f"{m['n_benign']} benign answers); manifest {manifest}"
    )


@app.command(
    "import",
    help="Convert a safety dataset in the paper's format (Query, Response columns) into "
    "safetygap's records (task: imported).",
)
def import_(
    file: Path = typer.Argument(
        ..., help="A CSV (or JSONL) of query/response pairs.", dir_okay=False
    ),
    out: Path = typer.Option(..., "--out", help="The JSONL file to write.", dir_okay=False),
    query_column: str = typer.Option("Query", "--query-column", help="Column of the query."),
    response_column: str = typer.Option(
        "Response", "--response-column", help="Column of the response."
    ),
    benign: bool = typer.Option(
        False,
        "--benign",
        help="Mark the rows harmful: false (default: harmful, as in the "
        "paper's file of harmful queries with refusals).",
    ),
) -> None:
    from safetygap.data.importer import import_pairs
    from safetygap.jsonl import write_jsonl

    records = import_pairs(file, query_column, response_column, harmful=not benign)
    write_jsonl(out, records)
    typer.echo(f"wrote {out}: {len(records)} examples")
