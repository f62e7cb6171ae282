"""The report over training seeds: a folder of hand-made eval runs (a base, three tasks with
three seeds each) becomes one row per model with the mean, the seed SD and a seed-aware
interval; report.json holds every figure shown; findings use the seed-aware tests."""

import json

import pytest

from tests.helpers import FORMATS, run_cli, write_eval_run


def answered(k_by_format: dict) -> set:
    return {f"{f}{i}" for f, k in k_by_format.items() for i in range(k)}


@pytest.fixture
def seed_folder(tmp_path):
    root = tmp_path / "runs"
    write_eval_run(root / "base", answered({f: 4 for f in FORMATS}))
    rises = {"code": (20, 24, 28), "translation": (18, 22, 14), "classification": (6, 4, 8)}
    for task, per_seed in rises.items():
        for seed, k in enumerate(per_seed):
            got = answered({f: k if f in ("translation", "classification") else 4 for f in FORMATS})
            write_eval_run(root / f"{task}-s{seed}", got, seed=seed, task=task)
    return root


def test_one_row_per_model_over_its_seeds(seed_folder, capsys):
    code, stdout, err = run_cli(["report", seed_folder], capsys)
    assert code == 0, err
    rows = json.loads((seed_folder / "report.json").read_text())["rows"]
    code_asr = {r["format"]: r for r in rows if r["model"] == "code" and r["metric"] == "asr"}
    t = code_asr["translation"]
    assert t["n_seeds"] == 3 and t["n_items"] == 40
    assert t["mean"] == pytest.approx(24 / 40)
    assert t["sd"] == pytest.approx(0.1)  # 20, 24, 28 of 40
    assert t["ci_low"] < 0.5 < 0.7 < t["ci_high"]  # the seed spread widens it past Wilson's
    base = [r for r in rows if r["model"].startswith("base") and r["metric"] == "asr"]
    assert base and all(r["n_seeds"] == 1 and r["sd"] is None for r in base)
    md = (seed_folder / "report.md").read_text()
    assert "Up to 3 runs per model" in md and " ±10 |" in md
    assert "Each run's overall ASR" in md and "seed 2:" in md
    # the findings read the seed-aware tests: code and translation rose most
    finding = next(line for line in md.splitlines() if line.startswith("| Code and translation"))
    assert "| reproduced |" in finding or "| partly |" in finding, finding


def test_a_one_seed_folder_says_its_intervals_cover_items_only(tmp_path, capsys):
    root = tmp_path / "runs"
    write_eval_run(root / "base", set())
    write_eval_run(root / "ft", answered({"code": 5}), seed=0)
    assert run_cli(["report", root], capsys)[0] == 0
    md = (root / "report.md").read_text()
    assert "One training run per model" in md and "bench items only" in md
    rows = json.loads((root / "report.json").read_text())["rows"]
    assert {r["n_seeds"] for r in rows} == {1}
