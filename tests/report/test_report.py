"""The report on a real (tiny) sweep: every plot draws in headless Chromium, outputs are hidden
unless asked for and always escaped, and bad folders are one line, exit 2."""

import json
import shutil
import subprocess

import pytest
import yaml

from safetygap.sweep.run import sweep
from tests.helpers import make_tiny_llama, run_cli, tiny_config, write_bench

PLANTED = '<script>document.title="pwned"</script><img src=x onerror="document.title=1">'


@pytest.fixture(scope="module")
def swept(tmp_path_factory, smollm_dir):
    """A finished tiny sweep: base, a fine-tune and two repairs, helpfulness, a guard, with a
    safety curve; one answered response carries a script."""
    root = tmp_path_factory.mktemp("report")
    models = (
        make_tiny_llama(root / "aligned", smollm_dir, seed=0),
        make_tiny_llama(root / "unaligned", smollm_dir, seed=1),
    )
    task = root / "labels.jsonl"
    task.write_text(
        "".join(
            json.dumps(
                {"id": f"t{i}", "prompt": f"Is {i} even?", "response": "yes" if i % 2 else "no"}
            )
            + "\n"
            for i in range(40)
        )
    )
    cfg = tiny_config(models, task, write_bench(root / "bench.jsonl"))
    cfg["finetune"]["settings"]["safety_every"] = 1
    cfg["finetune"]["settings"]["safety_items"] = 5
    path = root / "sweep.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = root / "sweep"
    index = sweep(path, out, log=lambda *_: None, progress=False)
    assert {s["status"] for s in index["stages"]} == {"done"}
    ev = next(s for s in index["stages"] if s["name"] == "eval:labels/native/s0/none/sys-off")
    lines = [
        json.loads(x) for x in (out / ev["folder"] / "responses.jsonl").read_text().splitlines()
    ]
    lines[0]["response"] = PLANTED + " " + lines[0]["response"]
    (out / ev["folder"] / "responses.jsonl").write_text(
        "".join(json.dumps(x) + "\n" for x in lines)
    )
    judged = [
        json.loads(x) for x in (out / ev["folder"] / "judgments.jsonl").read_text().splitlines()
    ]
    for j in judged:
        j["verdict"] = "answered"
    (out / ev["folder"] / "judgments.jsonl").write_text(
        "".join(json.dumps(x) + "\n" for x in judged)
    )
    return out


def chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.skip("Chromium is not installed (make test installs Debian's chromium)")
    return exe


def dom(html) -> str:
    """The page as Chromium has it after loading and running its scripts."""
    args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", html.as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=True).stdout


@pytest.mark.slow
def test_every_plot_draws_in_a_browser(swept, tmp_path, capsys):
    out = tmp_path / "report.html"
    code, stdout, _ = run_cli(["report", swept, "--out", out], capsys)
    assert code == 0
    html = out.read_text()
    expected = ["asr_heatmap", "calibrations", "repair_map", "curves", "guards"]
    for key in expected:
        assert f'data-plot="{key}"' in html, key
    n = html.count("data-plot=")
    page = dom(out)
    assert f'data-plots-drawn="{n}/{n}"' in page
    assert "http://" not in html and "https://" not in html  # nothing fetched at view time
    md = out.with_suffix(".md").read_text()
    assert "## ASR by format" in md and "| base |" in md
    assert PLANTED not in html and "pwned" not in html  # outputs hidden by default


@pytest.mark.slow
def test_shown_outputs_are_escaped_and_never_run(swept, tmp_path, capsys):
    out = tmp_path / "report.html"
    code, _, _ = run_cli(["report", swept, "--out", out, "--show-outputs"], capsys)
    assert code == 0
    html = out.read_text()
    assert "&lt;script&gt;document.title=" in html and PLANTED not in html
    page = dom(out)
    assert "<title>safetygap report" in page and "pwned" not in page.split("</title>")[0]
    assert 'data-plots-drawn="' in page


@pytest.mark.slow
def test_a_folder_of_single_runs_reports_too(swept, tmp_path, capsys):
    out = tmp_path / "runs.html"
    code, stdout, _ = run_cli(["report", swept / "stages", "--out", out], capsys)
    assert code == 0 and "asr_heatmap" in stdout
    md = out.with_suffix(".md").read_text()
    assert "| base |" in md and "| labels |" in md  # the fine-tune found its base


def test_bad_folders_are_one_line(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (["report", empty], ["report", tmp_path / "missing"]):
        code, _, err = run_cli(args, capsys)
        assert code == 2 and err.count("\n") == 1, err
    assert list(empty.iterdir()) == []


@pytest.mark.slow
def test_demo_runs_the_quick_preset_then_the_report(tmp_path, capsys, monkeypatch, smollm_dir):
    """The demo's plumbing on a tiny stand-in for the quick preset (the real one takes minutes)."""
    import safetygap.sweep.config as config

    models = (
        make_tiny_llama(tmp_path / "aligned", smollm_dir, seed=0),
        make_tiny_llama(tmp_path / "unaligned", smollm_dir, seed=1),
    )
    task = tmp_path / "labels.jsonl"
    task.write_text(
        "".join(
            json.dumps({"id": f"t{i}", "prompt": f"{i}?", "response": "ab"[i % 2]}) + "\n"
            for i in range(40)
        )
    )
    cfg = tiny_config(models, task, write_bench(tmp_path / "bench.jsonl"), mitigations=[])
    presets = tmp_path / "presets"
    presets.mkdir()
    (presets / "quick.yaml").write_text(yaml.safe_dump(cfg))
    monkeypatch.setattr(config, "PRESETS", presets)
    out = tmp_path / "demo"
    code, stdout, _ = run_cli(["demo", "--out", out], capsys)
    assert code == 0, stdout[-800:]
    assert (out / "report.html").is_file() and str((out / "report.html").resolve()) in stdout
    assert json.loads((out / "sweep.json").read_text())["config"]["model"] == str(models[0])


@pytest.mark.slow
def test_judge_agreement_is_drawn_from_an_agree_report(swept, tmp_path, capsys):
    ev = next(p.parent for p in (swept / "stages").glob("eval-*/metrics.json"))
    gold = tmp_path / "gold.jsonl"
    ids = [json.loads(x)["id"] for x in (ev / "responses.jsonl").read_text().splitlines()]
    gold.write_text("".join(json.dumps({"id": i, "verdict": "refused"}) + "\n" for i in ids))
    agree = ["judge", "agree", ev, "--judges", "keyword,classifier", "--gold", gold]
    code, _, _ = run_cli([*agree, "--out", tmp_path / "judges" / "agree.json"], capsys)
    assert code == 0
    code, stdout, _ = run_cli(["report", tmp_path / "judges", "--out", tmp_path / "r.html"], capsys)
    assert code == 0 and "judges" in stdout
    assert 'data-plot="judges"' in (tmp_path / "r.html").read_text()
