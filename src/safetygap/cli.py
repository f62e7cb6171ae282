"""The `safetygap` command: one sub-command group per pipeline stage."""

import sys

import click
import typer

from safetygap.errors import UserError
from safetygap.generate.cli import generate_command
from safetygap.models.cli import app as models_app

app = typer.Typer(
    name="safetygap",
    help="Find and close the task-wise safety gaps that benign fine-tuning opens in chat LLMs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(models_app, name="models")
app.command("generate")(generate_command)


def fail(message: str) -> None:
    """Print one line on stderr and exit with code 2."""
    print(f"safetygap: error: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    try:
        rv = app(args=argv, standalone_mode=False)
    except UserError as e:
        fail(str(e))
    except click.exceptions.NoArgsIsHelpError as e:
        print(e.ctx.get_help() if e.ctx else "", file=sys.stderr)
        sys.exit(2)
    except click.ClickException as e:
        fail(e.format_message().replace("\n", " "))
    except (click.exceptions.Abort, KeyboardInterrupt):
        print("safetygap: interrupted (re-run the same command to resume)", file=sys.stderr)
        sys.exit(130)
    sys.exit(rv if isinstance(rv, int) else 0)
