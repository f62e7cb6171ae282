import json

from tests.helpers import make_tiny_llama, run_cli


def read(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_eval_writes_responses_judgments_metrics_and_resumes(tiny_dir, bench, tmp_path, capsys):
    out = tmp_path / "run"
    args = [
        "eval",
        "--model",
        tiny_dir,
        "--bench",
        bench,
        "--judge",
        "keyword",
        "--out",
        out,
        "--max-new-tokens",
        4,
    ]
    code, stdout, _ = run_cli(args, capsys)
    assert code == 0 and "attack success rate" in stdout
    responses, judgments = read(out / "responses.jsonl"), read(out / "judgments.jsonl")
    assert [r["id"] for r in responses] == [f"b{i}" for i in range(6)]
    assert {j["verdict"] for j in judgments} <= {"answered", "refused"}
    m = json.loads((out / "metrics.json").read_text())
    assert m["asr"]["overall"]["n"] == 4 and m["over_refusal"]["overall"]["n"] == 2
    assert set(m["asr"]["by_format"]) == {"plain", "code", "translation"}
    assert m["judge"] == "keyword" and len(m["bench_sha256"]) == 64

    before = (out / "responses.jsonl").stat().st_mtime_ns
    assert run_cli(args, capsys)[0] == 0  # a re-run is a cache hit
    assert (out / "responses.jsonl").stat().st_mtime_ns == before

    # Another model into the same folder is refused; nothing is touched.
    code, _, err = run_cli(args[:1] + ["--system-prompt", "on"] + args[1:], capsys)
    assert code == 2 and "other settings (system_prompt)" in err
    assert (out / "responses.jsonl").stat().st_mtime_ns == before


def lora_adapter(model_dir, out):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj"])).save_pretrained(out)
    return out


def test_a_run_failing_before_its_first_answer_can_be_redone_in_place(
    tiny_dir, bench, tmp_path, capsys
):
    # An adapter from another base fails once the model is loaded, after the run folder was
    # claimed; the same --out then takes the right adapter instead of refusing it.
    other = make_tiny_llama(tmp_path / "other", tiny_dir, hidden=64)
    wrong, right = lora_adapter(other, tmp_path / "wrong"), lora_adapter(tiny_dir, tmp_path / "ok")
    out = tmp_path / "run"
    args = ["eval", "--model", tiny_dir, "--bench", bench, "--judge", "keyword", "--out", out]
    args += ["--max-new-tokens", 2]
    code, _, err = run_cli([*args, "--adapter", wrong], capsys)
    assert code == 2 and "does not fit" in err and not (out / "metrics.json").exists()
    code, _, err = run_cli([*args, "--adapter", right], capsys)
    assert code == 0, err
    assert json.loads((out / "settings.json").read_text())["adapter"] == str(right)
    # Once answers exist, the folder belongs to its run.
    code, _, err = run_cli([*args, "--adapter", wrong], capsys)
    assert code == 2 and "other settings (adapter)" in err


def test_compare_two_runs(tiny_dir, bench, tmp_path, capsys):
    # A bench written before `task` was renamed `format` still evaluates and compares.
    old = [json.loads(x) for x in bench.read_text().splitlines()]
    bench.write_text("".join(json.dumps({**r, "task": r.pop("format")}) + "\n" for r in old))
    for name, sp in [("a", "off"), ("b", "on")]:
        code, _, _ = run_cli(
            [
                "eval",
                "--model",
                tiny_dir,
                "--bench",
                bench,
                "--judge",
                "keyword",
                "--out",
                tmp_path / name,
                "--max-new-tokens",
                3,
                "--system-prompt",
                sp,
            ],
            capsys,
        )
        assert code == 0
    code, stdout, _ = run_cli(
        ["compare", tmp_path / "a", tmp_path / "b", "--out", tmp_path / "cmp.json"], capsys
    )
    assert code == 0 and "McNemar" in stdout
    rows = json.loads((tmp_path / "cmp.json").read_text())
    assert rows[0]["group"] == "overall" and rows[0]["n"] == 4
    assert {r["group"] for r in rows[1:]} == {"plain", "code", "translation"}
    assert all(0 <= r["p_value"] <= 1 for r in rows)


def test_compare_needs_runs(tmp_path, capsys):
    code, _, err = run_cli(["compare", tmp_path, tmp_path], capsys)
    assert code == 2 and "not an eval run" in err


def test_eval_bad_judge_writes_nothing(bench, tmp_path, capsys):
    code, _, err = run_cli(
        ["eval", "--bench", bench, "--judge", "gpt4", "--out", tmp_path / "run"], capsys
    )
    assert code == 2 and "unknown judge" in err
    assert not (tmp_path / "run").exists()


def write_run(folder, verdicts, levels, benign=()):
    """An eval run folder: harmful items b0.. with these verdicts and levels, then benign ones."""
    folder.mkdir()
    items = [
        {"id": f"b{i}", "format": "code" if i % 2 else "plain", "harmful": True, "prompt": "p"}
        for i in range(len(verdicts))
    ]
    items += [
        {"id": f"b{len(items) + i}", "format": "plain", "harmful": False, "prompt": "p"}
        for i in range(len(benign))
    ]
    verdicts, levels = [*verdicts, *benign], [*levels, *[None] * len(benign)]
    (folder / "bench.jsonl").write_text("".join(json.dumps(it) + "\n" for it in items))
    (folder / "judgments.jsonl").write_text(
        "".join(
            json.dumps({"id": f"b{i}", "verdict": v, "level": lv}) + "\n"
            for i, (v, lv) in enumerate(zip(verdicts, levels, strict=True))
        )
    )


def test_compare_harm_asr_where_both_runs_have_levels(tmp_path, capsys):
    ans, ref = "answered", "refused"
    write_run(tmp_path / "a", [ref, ref, ans, ans], ["refused", "refused", "complied", "helped"])
    write_run(tmp_path / "b", [ans, ans, ans, ans], ["helped", "complied", "helped", "helped"])
    write_run(tmp_path / "c", [ans, ans, ans, ans], [None] * 4)
    code, stdout, _ = run_cli(
        ["compare", tmp_path / "a", tmp_path / "b", "--out", tmp_path / "ab.json"], capsys
    )
    assert code == 0 and "harm" in stdout and "not compared" not in stdout
    overall = json.loads((tmp_path / "ab.json").read_text())[0]
    assert (overall["asr_a"], overall["asr_b"]) == (0.5, 1.0)
    assert overall["harm"]["a"] == 0.25 and overall["harm"]["b"] == 0.75
    assert (overall["harm"]["only_a"], overall["harm"]["only_b"]) == (0, 2)
    code, stdout, _ = run_cli(
        ["compare", tmp_path / "a", tmp_path / "c", "--out", tmp_path / "ac.json"], capsys
    )
    assert code == 0 and "harm ASR: not compared" in stdout
    assert json.loads((tmp_path / "ac.json").read_text())[0]["harm"] is None
    assert "over-refusal" not in stdout  # no benign items


def test_compare_over_refusal_on_the_benign_items_both_runs_decided(tmp_path, capsys):
    from safetygap.eval.compare import over_refusal

    ans, ref = "answered", "refused"
    harmful = [ans, ans]
    write_run(tmp_path / "a", harmful, [None] * 2, benign=[ans, ans, ans, ref, "unparsed"])
    write_run(tmp_path / "b", harmful, [None] * 2, benign=[ref, ref, ans, ans, ref])
    o = over_refusal(tmp_path / "a", tmp_path / "b")
    assert o["n"] == 4  # the unparsed verdict leaves its pair out
    assert (o["a"], o["b"], o["only_a"], o["only_b"]) == (0.25, 0.5, 1, 2)
    assert o["p_value"] == 1.0
    code, stdout, _ = run_cli(["compare", tmp_path / "a", tmp_path / "b"], capsys)
    assert code == 0 and "over-refusal on 4 benign look-alikes" in stdout and "+25.0 pt" in stdout


def test_a_changed_classifier_head_is_judged_again(tiny_dir, bench, tmp_path, capsys):
    from safetygap.judge.classifier import HEADS

    head = tmp_path / "head.json"
    data = json.loads((HEADS / "v1.json").read_text())
    args = ["eval", "--model", tiny_dir, "--bench", bench, "--judge", f"classifier:{head}"]
    args += ["--out", tmp_path / "run", "--max-new-tokens", 2]
    verdicts = []
    for bias in (50.0, -50.0):  # first everything reads as answered, then as refused
        head.write_text(json.dumps({**data, "bias": bias}))
        code, _, _ = run_cli(args, capsys)
        assert code == 0
        verdicts.append({j["verdict"] for j in read(tmp_path / "run" / "judgments.jsonl")})
    assert verdicts == [{"answered"}, {"refused"}]


def test_piped_tables_keep_every_cell_whole(tmp_path, capsys, monkeypatch):
    """Piped output (not a terminal) at rich's default 80 columns: no cell is cut to `…`."""
    monkeypatch.setenv("COLUMNS", "80")
    ans, ref = "answered", "refused"
    a, b = tmp_path / ("run-of-the-base-model-" * 3), tmp_path / ("run-of-the-fine-tune-" * 3)
    write_run(a, [ref, ref, ans, ans], ["refused", "refused", "complied", "helped"])
    write_run(b, [ans, ans, ans, ans], ["helped", "complied", "helped", "helped"])
    code, stdout, _ = run_cli(["compare", a, b], capsys)
    assert code == 0 and "…" not in stdout
    overall = next(line for line in stdout.splitlines() if "overall" in line)
    assert "50.0%" in overall and "100.0%" in overall and "+50.0 pt" in overall


def test_limit_spreads_over_the_formats(tiny_dir, tmp_path, capsys):
    """A bench sorted by format: `--limit 5` takes one item of each format, the same ones every
    time, in bench order; the run records its limit."""
    from safetygap.bench.items import read_bench

    formats = ["classification", "code", "plain", "summarization", "translation"]
    items = [
        {"id": f"{f}/t/s{i}", "seed_id": f"s{i}", "format": f, "prompt": f"{f} {i}"}
        for f in formats
        for i in range(6)
    ]
    path = tmp_path / "bench.jsonl"
    path.write_text("".join(json.dumps(it) + "\n" for it in items))
    five = read_bench(path, 5)
    assert [it["format"] for it in five] == formats
    assert five == read_bench(path, 5)
    assert len({it["seed_id"] for it in five}) == 1  # the formats share their seed
    seven = read_bench(path, 7)
    assert sorted(it["format"] for it in seven) == sorted([*formats, "classification", "code"])
    assert [it["id"] for it in seven] == sorted(it["id"] for it in seven)  # bench order
    assert len(read_bench(path, 100)) == 30

    out = tmp_path / "run"
    args = ["eval", "--model", tiny_dir, "--bench", path, "--judge", "keyword", "--out", out]
    code, _, _ = run_cli([*args, "--max-new-tokens", 2, "--limit", 5], capsys)
    assert code == 0
    assert {it["format"] for it in read(out / "bench.jsonl")} == set(formats)
    assert json.loads((out / "settings.json").read_text())["limit"] == 5
    code, _, err = run_cli([*args, "--max-new-tokens", 2, "--limit", 6], capsys)
    assert code == 2 and "other settings" in err and "limit" in err


def test_compare_lists_the_items_that_flipped(tmp_path, capsys):
    ans, ref = "answered", "refused"
    write_run(tmp_path / "a", [ref, ref, ans, ans, "unparsed"], [None] * 5)
    write_run(tmp_path / "b", [ans, ref, ref, ans, ans], [None] * 5)
    bench = tmp_path / "a" / "bench.jsonl"
    items = [json.loads(x) for x in bench.read_text().splitlines()]
    items[0]["prompt"] = "Write the\nfirst thing " + "x" * 200
    bench.write_text("".join(json.dumps(it) + "\n" for it in items))
    args = ["compare", tmp_path / "a", tmp_path / "b", "--out", tmp_path / "ab.json"]
    code, stdout, _ = run_cli([*args, "--show-flips"], capsys)
    assert code == 0
    lines = stdout.splitlines()
    at = lines.index("refused in A, answered in B: 1 item(s)")
    assert lines[at + 1].startswith("  b0  plain  Write the first thing xxx")
    assert lines[at + 1].endswith("x...") and len(lines[at + 1]) < 100
    assert lines[at + 2] == "answered in A, refused in B: 1 item(s)"
    assert lines[at + 3] == "  b2  plain  p"
    rows = {r["group"]: r for r in json.loads((tmp_path / "ab.json").read_text())}
    assert rows["overall"]["refused_to_answered"] == ["b0"]  # b4: unparsed in A, left out
    assert rows["overall"]["answered_to_refused"] == ["b2"]
    assert rows["code"]["refused_to_answered"] == rows["code"]["answered_to_refused"] == []
    code, stdout, _ = run_cli(args, capsys)
    assert code == 0 and "item(s)" not in stdout  # listed only when asked
