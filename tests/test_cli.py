import json

import pytest
import typer

from safetygap.cli import app
from tests.helpers import run_cli


def command_paths(command, path=()) -> list[tuple[tuple[str, ...], object]]:
    """Every command and group of the CLI, with the words that reach it."""
    out = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        out += command_paths(sub, (*path, name))
    return out


COMMANDS = command_paths(typer.main.get_command(app))
CONTRACT = {  # the command names other tools and checks rely on
    ("models", "pull"),
    ("bench", "build"),
    ("bench", "stats"),
    ("eval",),
    ("align",),
    ("finetune",),
    ("compare",),
    ("generate",),
    ("data", "build"),
    ("data", "audit"),
    ("judge", "run"),
    ("judge", "train"),
    ("judge", "agree"),
}


def test_cli_has_the_contract_commands():
    assert CONTRACT <= {path for path, _ in COMMANDS}


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "-" for p, _ in COMMANDS])
def test_every_command_explains_itself(path, command, capsys):
    code, out, _ = run_cli([*path, "--help"], capsys)
    assert code == 0
    text = " ".join(out.split())
    assert f"Usage: safetygap {' '.join(path)}".strip() in text
    first_line = " ".join((command.help or "").split("\n\n")[0].split())
    assert first_line and first_line[:40] in text  # its own description, not a bare usage line
    for name in getattr(command, "commands", {}):
        assert name in text  # a group lists its commands
    for param in command.params:
        if param.param_type_name == "option" and not param.hidden:
            assert param.opts[0] in text, param.opts[0]
            assert param.help, f"{' '.join(path)} {param.opts[0]} has no help"


def test_generate_end_to_end(tiny_dir, prompt_file, tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    code, stdout, _ = run_cli(
        [
            "generate",
            "--model",
            tiny_dir,
            "--prompts",
            prompt_file,
            "--out",
            out,
            "--max-new-tokens",
            4,
            "--system-prompt",
            "Be safe.",
        ],
        capsys,
    )
    assert code == 0 and "6 responses (6 new)" in stdout
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(recs) == 6 and all(r["system_prompt"] == "Be safe." for r in recs)
    assert all(r["n_new_tokens"] <= 4 for r in recs)


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["generate", "--model", "gpt-nope", "--prompts", "{prompts}", "--out", "{out}"],
            "unknown model 'gpt-nope'",
        ),
        (["generate", "--prompts", "{bad}", "--out", "{out}"], "not valid JSON"),
        (["generate", "--prompts", "{missing}", "--out", "{out}"], "no such file"),
        (
            ["generate", "--prompts", "{prompts}", "--out", "{out}", "--max-new-tokens", "0"],
            "max-new-tokens",
        ),
        (["no-such-command"], "No such command"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, message, prompt_file, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok"}\n{oops\n')
    out = tmp_path / "out.jsonl"
    paths = dict(prompts=prompt_file, bad=bad, missing=tmp_path / "nope.jsonl", out=out)
    code, _, err = run_cli([a.format(**paths) for a in args], capsys)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_help_texts_name_every_registered_plug_in(capsys):
    from safetygap.bench.formats import FORMATS
    from safetygap.bench.seeds import SOURCES
    from safetygap.guard import GUARD_HELP, GUARDS
    from safetygap.judge import JUDGE_HELP, JUDGES

    assert all(name in JUDGE_HELP for name in JUDGES)
    assert all(name in GUARD_HELP for name in GUARDS)
    _, out, _ = run_cli(["bench", "build", "--help"], capsys)
    text = " ".join(out.split())
    assert all(name in text for name in [*FORMATS, *SOURCES])


OLD_WORDS = ("multitask", "singletask", "--tasks", "--per-task", "task-wise")


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "-" for p, _ in COMMANDS])
def test_help_shows_only_todays_names(path, command, capsys):
    """Safety mixes and guard heads are named by format (`all-formats`, `plain`); the old names
    and the old spellings of --formats and --per-format still work but are not offered."""
    code, out, _ = run_cli([*path, "--help"], capsys)
    assert code == 0
    assert not [w for w in OLD_WORDS if w in out], out
    if not path:
        assert "format-wise safety gaps" in " ".join(out.split())
    if path == ("data", "build"):
        assert "all-formats" in out and "--per-format" in out and "--formats" in out
