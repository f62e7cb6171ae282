"""`safetygap bench export`: a bench (and safety data) as a Hugging Face datasets folder with its
dataset card; records survive the round trip, bad input writes nothing."""

import json

import pytest
import yaml

from safetygap.bench.build import build_bench, write_with_manifest
from safetygap.bench.export import source_of
from safetygap.safetydata.build import build_safety_data
from tests.helpers import run_cli


@pytest.fixture
def files(tmp_path, seed_opts, seed_pool):
    """A bench (with its manifest) and an all-formats safety dataset from the same seeds."""
    bench = build_bench(seed_opts, n_seeds=6, n_benign=2, pool=seed_pool)
    bench_file = tmp_path / "bench.jsonl"
    write_with_manifest(bench_file, bench.records, bench.manifest)
    safety = build_safety_data("all-formats", seed_opts, per_format=4, pool=seed_pool)
    safety_file = tmp_path / "safety.jsonl"
    write_with_manifest(safety_file, safety.records, safety.manifest)
    return bench_file, safety_file


def read(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def card_of(folder):
    text = (folder / "README.md").read_text(encoding="utf-8")
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


def test_round_trip_and_card(files, tmp_path, capsys):
    from datasets import load_from_disk

    bench_file, safety_file = files
    out = tmp_path / "hf"
    args = ["bench", "export", bench_file, "--out", out, "--safety-data", safety_file]
    code, stdout, err = run_cli(args, capsys)
    assert code == 0, err
    assert stdout.startswith(f"wrote {out}: split(s) bench and safety_data")
    ds = load_from_disk(str(out))
    assert set(ds) == {"bench", "safety_data"}
    assert ds["bench"].to_list() == read(bench_file)
    assert ds["safety_data"].to_list() == read(safety_file)

    header, body = card_of(out)
    bench, safety = read(bench_file), read(safety_file)
    assert header["configs"][0]["data_files"] == [{"split": "test", "path": "bench/data-*.arrow"}]
    assert header["configs"][1]["config_name"] == "safety_data"
    # Sources: the bench's (a user seed file, ours) and the safety data's format extras.
    sources = {source_of(r) for r in bench + safety}
    assert {"file:seeds.csv", "safetygap-benign", "safetygap-code"} <= sources
    for source in sources:
        assert f"| `{source}` |" in body, source
    assert set(header["license"]) == {"apache-2.0", "other"}  # ours, and the user's file
    for fmt in {r["format"] for r in bench + safety}:
        assert f"\n| {fmt} | " in body, fmt
    for template in {(r["format"], r["template"]) for r in bench}:
        assert "`{}/{}`:".format(*template) in body
    assert "test fraction (0.5)" in body and "cosine >= 0.65" in body
    assert "Seeds shared by the bench and the safety data: 0 " in body


def test_bench_alone_loads_by_config_too(files, tmp_path):
    from datasets import load_dataset

    from safetygap.bench.export import export

    bench_file, _ = files
    (tmp_path / "empty").mkdir()
    out = export(bench_file, tmp_path / "empty")  # an empty folder is taken
    header, body = card_of(out)
    assert [c["config_name"] for c in header["configs"]] == ["bench"]
    assert "safety_data" not in body
    ds = load_dataset(str(out), "bench", cache_dir=str(tmp_path / "cache"))
    assert ds["test"].to_list() == read(bench_file)


@pytest.mark.parametrize("bad", ["safety", "folder", "missing", "text"])
def test_not_a_bench_is_one_line_and_writes_nothing(files, tmp_path, capsys, bad):
    bench_file, safety_file = files
    (tmp_path / "notes.txt").write_text("hello\n")
    given = {
        "safety": safety_file,  # records without source and category
        "folder": tmp_path,
        "missing": tmp_path / "nothing.jsonl",
        "text": tmp_path / "notes.txt",
    }[bad]
    out = tmp_path / "hf"
    code, stdout, err = run_cli(["bench", "export", given, "--out", out], capsys)
    assert code == 2 and stdout == ""
    assert err.startswith("safetygap: error: ") and err.count("\n") == 1, err
    if bad in ("safety", "text"):
        assert "not a bench: `safetygap bench build` writes one" in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".hf")]


def test_a_non_empty_out_or_bad_safety_data_is_refused(files, tmp_path, capsys):
    bench_file, _ = files
    out = tmp_path / "hf"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, _, err = run_cli(["bench", "export", bench_file, "--out", out], capsys)
    assert code == 2 and "exists and is not empty: choose another --out" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]

    args = ["bench", "export", bench_file, "--out", tmp_path / "new"]
    code, _, err = run_cli([*args, "--safety-data", bench_file], capsys)
    assert code == 2 and "not safety data: `safetygap data build` writes one" in err
    assert not (tmp_path / "new").exists()
