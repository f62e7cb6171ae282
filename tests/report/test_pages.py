"""Results pages: what a study script prints, under the command and date that wrote it; a run
that fails leaves the previous page as it was."""

import pytest

from safetygap.report.pages import results_page


def test_a_page_holds_what_the_script_printed_under_its_command(tmp_path, capsys):
    page = tmp_path / "results" / "study.md"
    with results_page(page, "A study", "What it measures.", command="python study.py --n 3"):
        print("| a | b |\n|---|---|\n| 1 | 2 |")
    text = page.read_text()
    assert text.startswith("# A study\n\nWritten by `python study.py --n 3` on ")
    assert "What it measures.\n\n| a | b |" in text and text.endswith("| 1 | 2 |\n")
    assert "| 1 | 2 |" in capsys.readouterr().out  # the console still sees it


def test_a_failed_run_keeps_the_previous_page(tmp_path):
    page = tmp_path / "study.md"
    page.write_text("the previous page\n")
    with pytest.raises(RuntimeError), results_page(page, "A study", command="x"):
        print("half a table")
        raise RuntimeError("stopped")
    assert page.read_text() == "the previous page\n"
    assert [p.name for p in tmp_path.iterdir()] == ["study.md"]


def test_plain_text_output_is_kept_in_a_code_block(tmp_path):
    page = tmp_path / "study.md"
    with results_page(page, "A study", command="x", fenced=True):
        print("model      ASR\nbase      12.0")
    assert page.read_text().endswith("```\nmodel      ASR\nbase      12.0\n```\n")
