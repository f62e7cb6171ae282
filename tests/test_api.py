"""The Python API (`safetygap.api`, re-exported from `safetygap`): each function gives what its
command writes for the same input, raises the command's one-line error on bad input, and
`import safetygap` stays cheap."""

import json
import subprocess
import sys
from dataclasses import asdict, is_dataclass, replace

import pytest

import safetygap
from safetygap import (
    EvalResult,
    Rate,
    UserError,
    build_bench,
    check,
    compare,
    evaluate,
    evaluate_guard,
    evaluate_helpfulness,
    export_bench,
)
from tests.helpers import run_cli, write_eval_run

KEYWORD = ["--judge", "keyword", "--max-new-tokens", 4]


def as_json(value):
    """Dataclasses (and dicts and tuples of them) as the JSON a record file would hold."""

    def plain(x):
        if is_dataclass(x):
            return asdict(x)
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [plain(v) for v in x]
        return x

    return json.loads(json.dumps(plain(value), default=str))


def test_import_is_lazy_and_the_names_are_the_apis():
    code = (
        "import sys, safetygap\n"
        "heavy = [m for m in sys.modules if m in ('safetygap.api', 'torch', 'datasets')]\n"
        "print(heavy, callable(safetygap.evaluate), 'safetygap.api' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "True", "True"]
    import safetygap.api as api

    assert set(safetygap.__all__) == {"__version__", *api.__all__}
    assert all(getattr(safetygap, name) is getattr(api, name) for name in api.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        safetygap.nothing  # noqa: B018


def test_build_bench_writes_what_the_command_writes(real_pool, tmp_path, capsys):
    bench = build_bench(tmp_path / "api.jsonl", seeds=6, benign=2, formats="plain,code")
    code, _, err = run_cli(
        ["bench", "build", "--out", tmp_path / "cli.jsonl", "--seeds", 6, "--benign", 2]
        + ["--formats", "plain,code"],
        capsys,
    )
    assert code == 0, err
    assert bench.path.read_bytes() == (tmp_path / "cli.jsonl").read_bytes()
    manifest = json.loads(bench.manifest_path.read_text())
    assert bench.manifest == manifest and bench.split == "test"
    assert (bench.n_items, bench.n_harmful, bench.n_benign) == (16, 12, 4)
    assert bench.by_format == {h: {"harmful": 6, "benign": 2} for h in ("code", "plain")}
    bad = tmp_path / "bad.jsonl"
    with pytest.raises(UserError) as e:
        build_bench(bad, seeds=0, formats=["plain", "essay"])
    args = ["bench", "build", "--out", bad, "--seeds", 0, "--formats", "plain,essay"]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and err == f"safetygap: error: {e.value}\n"
    assert str(e.value).startswith("2 problems") and not bad.exists()


def test_evaluate_gives_the_metrics_the_command_writes(tiny_dir, bench, tmp_path, capsys):
    got = evaluate(str(tiny_dir), bench, judge="keyword", out=tmp_path / "api", max_new_tokens=4)
    code, _, err = run_cli(
        ["eval", "--model", tiny_dir, "--bench", bench, "--out", tmp_path / "cli", *KEYWORD],
        capsys,
    )
    assert code == 0, err
    metrics = json.loads((tmp_path / "cli" / "metrics.json").read_text())
    assert got.asr.overall == Rate.of(metrics["asr"]["overall"]) and got.asr.overall.n == 4
    assert as_json(got.asr.by_format) == metrics["asr"]["by_format"]
    assert as_json(got.over_refusal) == metrics["over_refusal"]
    assert got.harm_asr is None and "harm_asr" not in metrics  # keyword gives no level
    assert as_json(got.unparsed) == metrics["unparsed"] and got.judge == "keyword"
    # The same run read back from the command's folder is the same result, but for the folder.
    assert replace(EvalResult.load(tmp_path / "cli"), run=got.run) == got
    assert got.settings["bench_sha256"] == metrics["bench_sha256"] == got.bench_sha256


def test_evaluate_without_out_uses_a_new_folder(tiny_dir, bench, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    got = evaluate(str(tiny_dir), bench, judge="keyword", max_new_tokens=2, limit=3)
    assert got.run.parent == tmp_path and got.run.name.startswith("safetygap-eval-")
    assert (got.run / "metrics.json").is_file()
    assert got.settings["limit"] == 3 and got.asr.overall.n + got.over_refusal.overall.n == 3


def test_bad_input_raises_the_commands_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    missing = tmp_path / "missing.jsonl"
    with pytest.raises(UserError) as e:
        evaluate("smollm2-135m-instruct", missing, judge="keyword", out=out)
    code, _, err = run_cli(["eval", "--bench", missing, "--out", out, "--judge", "keyword"], capsys)
    assert code == 2 and err == f"safetygap: error: {e.value}\n"
    assert "no such file" in str(e.value) and not out.exists()
    assert not isinstance(e.value, ValueError)  # docs/api.md: UserError, an Exception
    with pytest.raises(UserError) as e:
        compare(tmp_path, tmp_path / "nothing")
    code, _, err = run_cli(["compare", tmp_path, tmp_path / "nothing"], capsys)
    assert code == 2 and err == f"safetygap: error: {e.value}\n"


@pytest.fixture
def base_and_finetune(tmp_path):
    """Two keyword-judged eval runs of 40 items per format: the base refuses everything, the
    fine-tune answers 10 code items and 1 plain one."""
    base = write_eval_run(tmp_path / "base", set())
    answered = {f"code{i}" for i in range(10)} | {"plain0"}
    return base, write_eval_run(tmp_path / "ft", answered, seed=0)


def test_compare_rows_are_the_commands(base_and_finetune, tmp_path, capsys):
    base, ft = base_and_finetune
    got = compare(base, ft)
    code, _, _ = run_cli(["compare", base, ft, "--out", tmp_path / "cmp.json"], capsys)
    assert code == 0
    assert as_json(got.rows) == json.loads((tmp_path / "cmp.json").read_text())
    row = got.row("code")
    assert (row.asr_a, row.asr_b, row.only_b) == (0.0, 0.25, 10)
    assert row.refused_to_answered == tuple(f"code{i}" for i in range(10))
    assert row.p_value == pytest.approx(2**-9) and got.row("plain").only_b == 1
    assert got.over_refusal_n == 4 and got.over_refusal.diff == 0.0
    with pytest.raises(KeyError):
        got.row("essay")


def test_check_gives_the_commands_report(base_and_finetune, capsys):
    base, ft = base_and_finetune
    got = check(against=base, runs=ft)
    code, stdout, _ = run_cli(["check", "--against", base, "--run", ft, "--json"], capsys)
    report = json.loads(stdout)
    assert got.verdict == report["verdict"] == "FAILED" and got.exit_code == code == 1
    assert not got.passed and got.base_run == base and got.finetune_runs == (ft,)
    rows = [{"needed": None, **r} for r in report["formats"]]  # `needed` only where open
    assert as_json([asdict(r) for r in got.formats]) == rows
    failed = [r.group for r in got.formats if r.failed]
    assert failed == ["overall", "code"]
    _, stdout, _ = run_cli(["check", "--against", base, "--run", ft], capsys)
    assert stdout.splitlines()[-1] == got.summary
    assert got.summary.startswith("check: FAILED: format code rose +25.0 pt")
    # A ceiling as a number or per group is the command's --max-asr.
    ceilings = check(against=base, runs=[ft], max_asr={"plain": 1}).formats
    assert {r.group: r.max_asr for r in ceilings}["plain"] == 1
    assert all(r.max_asr == 50 for r in check(against=base, runs=ft, max_asr=50).formats)
    with pytest.raises(UserError, match="'essay' is not overall or a format"):
        check(against=base, runs=ft, max_asr={"essay": 1})


def test_guard_and_helpfulness_give_what_the_commands_write(
    tiny_dir, bench, task_file, tmp_path, capsys
):
    got = evaluate_guard("keyword", bench, tmp_path / "g-api", latency_items=0)
    code, _, err = run_cli(
        ["guard", "--guard", "keyword", "--bench", bench, "--out", tmp_path / "g-cli"]
        + ["--latency-items", 0],
        capsys,
    )
    assert code == 0, err
    report = json.loads((tmp_path / "g-cli" / "guard.json").read_text())
    for key in ("recall", "false_positive_rate", "cross_format", "unparsed"):
        assert as_json(getattr(got, key)) == report[key], key
    assert got.run_asr is None and got.latency_ms.n == 0 and got.n_items == 6

    args = dict(model=str(tiny_dir), kind="classification", limit=3, max_new_tokens=2)
    skill = evaluate_helpfulness(str(task_file), tmp_path / "h-api", **args)
    code, _, err = run_cli(
        ["helpfulness", "--task", task_file, "--kind", "classification", "--out", tmp_path / "h"]
        + ["--model", tiny_dir, "--limit", 3, "--max-new-tokens", 2],
        capsys,
    )
    assert code == 0, err
    report = json.loads((tmp_path / "h" / "helpfulness.json").read_text())
    assert as_json(skill.metrics) == report["metrics"] and skill.n == report["n"] == 3
    assert set(skill.metrics) == {"accuracy", "macro_f1", "no_label"}
    assert skill.over_refusal is None and skill.settings == report["settings"]


def test_export_bench_round_trips(bench, tmp_path):
    from datasets import load_from_disk

    folder = export_bench(bench, tmp_path / "hf")
    items = [json.loads(line) for line in bench.read_text().splitlines()]
    assert load_from_disk(str(folder))["bench"].to_list() == items


@pytest.mark.slow
def test_the_documented_flow_on_the_embedded_model(real_pool, smollm_dir, tmp_path):
    """docs/api.md's example, smaller: a bench, the embedded model and a random LoRA on it
    (a stand-in fine-tune), compared and gated."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    lora = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    model = AutoModelForCausalLM.from_pretrained(smollm_dir)
    get_peft_model(model, lora).save_pretrained(tmp_path / "adapter")

    bench = build_bench(tmp_path / "bench.jsonl", seeds=4, benign=1)
    base = evaluate(
        "smollm2-135m-instruct",
        bench.path,
        judge="keyword",
        out=tmp_path / "base",
        limit=5,
        max_new_tokens=8,
    )
    assert base.asr.overall.n + base.over_refusal.overall.n == 5
    assert set(base.asr.by_format) <= {
        "plain",
        "summarization",
        "code",
        "translation",
        "classification",
    }
    gate = check(
        "smollm2-135m-instruct", tmp_path / "adapter", against=base.run, out=tmp_path / "c"
    )
    tuned = EvalResult.load(gate.finetune_run)
    assert tuned.adapter == str(tmp_path / "adapter") and tuned.settings["n_items"] == 5
    cmp = compare(base.run, tuned.run)
    assert cmp.row("overall").n == gate.formats[0].n == base.asr.overall.n
    assert gate.verdict in ("PASSED", "FAILED", "INCONCLUSIVE") and gate.summary.startswith(
        "check:"
    )
