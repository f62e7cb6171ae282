"""The `safetygap` command: one sub-command group per pipeline stage."""

import sys

import typer

from safetygap.bench.cli import app as bench_app
from safetygap.errors import UserError, disk_error
from safetygap.eval.cli import check_command, eval_command
from safetygap.finetune.cli import align_command, finetune_command, tasks_app
from safetygap.generate.cli import generate_command
from safetygap.guard.cli import app as guard_app
from safetygap.helpfulness.cli import compare_command, helpfulness_command
from safetygap.judge.cli import app as judge_app
from safetygap.lock import release_all
from safetygap.mitigate.cli import mitigate_command
from safetygap.models.cli import app as models_app
from safetygap.report.cli import report_command
from safetygap.safetydata.cli import app as data_app
from safetygap.search.cli import search_command
from safetygap.sweep.cli import demo_command, sweep_command

app = typer.Typer(
    name="safetygap",
    help="Find and close the format-wise safety gaps that benign fine-tuning opens in chat LLMs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",  # docstring paragraphs are reflowed to the terminal width
)
app.add_typer(models_app, name="models")
app.add_typer(bench_app, name="bench")
app.add_typer(data_app, name="data")
app.command("generate")(generate_command)
app.add_typer(judge_app, name="judge")
app.command("eval")(eval_command)
app.command("compare")(compare_command)
app.command("check")(check_command)
app.add_typer(tasks_app, name="tasks")
app.command("finetune")(finetune_command)
app.command("align")(align_command)
app.command("helpfulness")(helpfulness_command)
app.add_typer(guard_app, name="guard")
app.command("mitigate")(mitigate_command)
app.command("sweep")(sweep_command)
app.command("search")(search_command)
app.command("report")(report_command)
app.command("demo")(demo_command)


def fail(message: str) -> None:
    """Print one line on stderr and exit with code 2."""
    print(f"safetygap: error: {message}", file=sys.stderr)
    sys.exit(2)


# typer raises click-style exceptions from its own (vendored) click; find them where it keeps them.
_cli_errors = sys.modules[typer.BadParameter.__module__]


def main(argv: list[str] | None = None) -> None:
    try:
        dispatch(argv)
    finally:
        release_all()  # every output this command held is given up, however it ended


def dispatch(argv: list[str] | None) -> None:
    try:
        rv = app(args=argv, prog_name="safetygap", standalone_mode=False)
    except UserError as e:
        fail(str(e))
    except _cli_errors.NoArgsIsHelpError:
        sys.exit(2)  # typer has printed the help
    except _cli_errors.ClickException as e:
        fail(e.format_message().replace("\n", " "))
    except OSError as e:
        if not disk_error(e):
            raise
        fail(disk_error(e))
    except (typer.Abort, KeyboardInterrupt):
        print("safetygap: interrupted (re-run the same command to resume)", file=sys.stderr)
        sys.exit(130)
    sys.exit(rv if isinstance(rv, int) else 0)
