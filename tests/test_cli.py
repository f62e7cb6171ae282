import json

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize(
    "args", [[], ["models"], ["generate"], ["models", "pull"], ["models", "list"]]
)
def test_every_command_has_help(args, capsys):
    code, out, _ = run_cli(args + ["--help"], capsys)
    assert code == 0 and "Usage" in out


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
