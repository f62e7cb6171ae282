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
    cfg["mitigations"].append({"method": "ptst"})
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
    assert "## ASR by format" in md and "| base (aligned) |" in md  # the model's folder name
    # the repair section: every repair paired with none, the rule, the paper's cure beside it
    assert "## Repairs of the labels fine-tune" in md and "## Best repair per fine-tune" in md
    for name in ("| none |", "| PTST |", "| scale 0.5 |", "| resta |"):
        assert name in md, name
    assert "The rule: the largest significant ASR cut" in md and "| not run |" in md
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
    assert "| base (aligned) |" in md and "| labels |" in md  # the fine-tune found its base


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


# Hand-made run folders (no model): the report of a folder of single runs.

FORMATS = ("plain", "summarization", "code", "translation", "classification")


def write_bench_file(path):
    """30 harmful items (6 per format) and 5 benign ones, sorted by id as `bench build` does."""
    items = [
        {"id": f"{f}/t/s{i}", "seed_id": f"s{i}", "format": f, "harmful": True, "prompt": f"{i}"}
        for f in FORMATS
        for i in range(6)
    ]
    items += [{"id": f"{f}/b/k", "format": f, "harmful": False, "prompt": "hi"} for f in FORMATS]
    items.sort(key=lambda it: it["id"])
    path.write_text("".join(json.dumps(it) + "\n" for it in items))
    return path


def fake_finetune(folder, task, mix="none", ratio=0.0, seed=0):
    """A fine-tune folder as `finetune` writes it, as far as the report reads it."""
    folder.mkdir(parents=True)
    settings = {"task": task, "chat_format": "native", "seed": seed, "safety_mix": mix}
    settings["safety_ratio"] = ratio
    (folder / "settings.json").write_text(json.dumps({"settings": settings}))
    return folder


def fake_repair(folder, adapter, method="scale", params=None):
    folder.mkdir(parents=True)
    settings = {"method": method, "params": params or {"lam": 0.5}, "adapter": str(adapter)}
    (folder / "mitigate.json").write_text(json.dumps({"settings": settings, "output": "adapter"}))
    return folder


def fake_eval(folder, bench, model, adapter=None, answered=(), limit=None):
    """An eval run folder of `model` (+ `adapter`) in which the harmful items of the formats in
    `answered` ({format: how many}) were answered, every other item refused."""
    from safetygap.bench.items import read_bench
    from safetygap.eval.metrics import score
    from safetygap.jsonl import sha256_file, write_jsonl

    folder.mkdir(parents=True)
    items = read_bench(bench, limit)
    answered = dict(answered)
    verdicts = {}
    for it in items:
        yes = it["harmful"] and int(it["seed_id"][1:]) < answered.get(it["format"], 0)
        verdicts[it["id"]] = {
            "id": it["id"],
            "judge": "keyword",
            "verdict": "answered" if yes else "refused",
        }
    write_jsonl(folder / "bench.jsonl", items)
    write_jsonl(folder / "judgments.jsonl", verdicts.values())
    write_jsonl(folder / "responses.jsonl", [{"id": i, "response": "ok"} for i in verdicts])
    settings = {"model": model, "adapter": adapter and str(adapter), "system_prompt": None}
    settings |= {"bench": str(bench), "bench_sha256": sha256_file(bench), "n_items": len(items)}
    settings |= {"limit": limit, "max_new_tokens": 4, "temperature": 0.0, "judge": "keyword"}
    (folder / "settings.json").write_text(json.dumps(settings))
    meta = {k: settings[k] for k in ("model", "adapter", "system_prompt", "bench_sha256")}
    metrics = score(items, verdicts, {"judge": "keyword", **meta})
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder


def md_rows(md: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.strip("|").split(" | ")]
        for line in md.splitlines()
        if line.startswith("| ") and not line.startswith("| the paper")
    ]


@pytest.fixture
def single_runs(tmp_path):
    """A base evaluated on all 35 items and on 2 (--limit 2), plain fine-tunes of three tasks,
    a safety-mix fine-tune and a repair of the code one: none made by a sweep."""
    root = tmp_path / "runs"
    bench = write_bench_file(tmp_path / "bench.jsonl")
    ads = tmp_path / "adapters"
    code = fake_finetune(ads / "code", "code")
    fake_eval(root / "base", bench, "smollm2-135m-instruct")
    fake_eval(root / "base-quick", bench, "smollm2-135m-instruct", limit=2)
    fake_eval(root / "ft-code", bench, "smollm2-135m-instruct", code, {"code": 6, "plain": 6})
    mixed = fake_finetune(ads / "code-mix", "code", "multitask", 0.2)
    fake_eval(root / "ft-code-mix", bench, "smollm2-135m-instruct", mixed, {"code": 1})
    repair = fake_repair(ads / "code-scale", code)
    fake_eval(root / "ft-code-scale", bench, "smollm2-135m-instruct", repair, {"code": 2})
    for task, n in (("translation", 5), ("summarization", 0)):
        ft = fake_finetune(ads / task, task)
        fake_eval(root / f"ft-{task}", bench, "smollm2-135m-instruct", ft, {"translation": n})
    return root


def test_single_runs_are_never_merged_and_other_items_never_paired(single_runs, capsys):
    out = single_runs / "report.html"
    code, _, _ = run_cli(["report", single_runs, "--out", out], capsys)
    assert code == 0
    md = out.with_suffix(".md").read_text()
    rows = {r[0] for r in md_rows(md)}
    base = "base (SmolLM2-135M-Instruct, not aligned)"
    assert {base, "code", "code +all-formats-0.2", "code scale-0.5", "translation"} <= rows
    assert "summarization" in rows
    # the 2-item eval has its own table, and is said to be left out, not set in for the base
    assert md.count(f"| {base} |") == 2
    titles = [line for line in md.splitlines() if line.startswith("## ASR by format")]
    assert len(titles) == 2 and any("2 items (--limit 2)" in t for t in titles)
    assert any("35 items" in t for t in titles)
    assert "Left out:" in md and "2 items (--limit 2)" in md.split("Left out:")[1]
    # the findings pair the fine-tunes with the base on their own items: code 12/30 answered
    erode = next(line for line in md.splitlines() if "Code and translation" in line)
    assert "code +40.0 pt" in erode and "translation +16.7 pt" in erode and "35 items" in erode
    assert "aligned base" not in out.read_text()


def test_runs_that_share_a_name_are_told_apart_by_their_folder(tmp_path, capsys):
    root = tmp_path / "runs"
    bench = write_bench_file(tmp_path / "bench.jsonl")
    fake_eval(root / "base", bench, "smollm2-135m-instruct")
    for name in ("lr-high", "lr-low"):
        ft = fake_finetune(tmp_path / name, "code")
        fake_eval(root / name, bench, "smollm2-135m-instruct", ft, {"code": 3})
    code, _, _ = run_cli(["report", root, "--out", tmp_path / "r.html"], capsys)
    assert code == 0
    rows = [r[0] for r in md_rows((tmp_path / "r.md").read_text())]
    assert "code (lr-high)" in rows and "code (lr-low)" in rows


def test_the_base_is_called_aligned_only_when_align_made_it(tmp_path, capsys):
    from safetygap.report.collect import base_name

    aligned = tmp_path / "aligned"
    aligned.mkdir()
    record = {"settings": {"model": "smollm2-135m-instruct"}}
    (aligned / "align_settings.json").write_text(json.dumps(record))
    plain = tmp_path / "my-model"
    plain.mkdir()
    assert base_name(str(aligned)) == "aligned base (SmolLM2-135M-Instruct after align)"
    assert base_name("smollm2-135m-instruct") == "base (SmolLM2-135M-Instruct, not aligned)"
    assert base_name(str(plain)) == "base (my-model)"
    assert base_name("smollm2-135m-instruct", aligned=True).startswith("aligned base (SmolLM2")
    assert (
        base_name("meta-llama/Llama-3.1-8B-Instruct") == "base (meta-llama/Llama-3.1-8B-Instruct)"
    )

    bench = write_bench_file(tmp_path / "bench.jsonl")
    fake_eval(tmp_path / "runs" / "base", bench, "smollm2-135m-instruct")
    ft = fake_finetune(tmp_path / "ft", "code")
    fake_eval(tmp_path / "runs" / "ft", bench, "smollm2-135m-instruct", ft, {"code": 3})
    code, _, _ = run_cli(["report", tmp_path / "runs", "--out", tmp_path / "r.html"], capsys)
    html = (tmp_path / "r.html").read_text()
    assert code == 0 and "aligned base" not in html
    assert "ASR (%) of base (SmolLM2-135M-Instruct, not aligned) and of each" in html


def test_the_guard_table_sets_false_positives_beside_recall(single_runs, capsys):
    from safetygap.stats import rate

    guard = single_runs / "guard-keyword"
    guard.mkdir()
    recall = {
        "overall": rate(21, 30),
        "by_format": {f: rate(k, 6) for f, k in zip(FORMATS, (6, 5, 4, 3, 3), strict=True)},
    }
    fpr = {"overall": rate(2, 5), "by_format": {f: rate(int(f == "code"), 1) for f in FORMATS}}
    cross = {f: {"difference": 0.0, "p_value": 1.0} for f in FORMATS[1:]}
    data = {"guard": "keyword", "mode": "input", "recall": recall, "false_positive_rate": fpr}
    data |= {"cross_format": cross, "bench_sha256": "x", "n_items": 35}
    (guard / "guard.json").write_text(json.dumps(data))
    out = single_runs / "r.html"
    assert run_cli(["report", single_runs, "--out", out], capsys)[0] == 0
    rows = {(r[0], r[1]): r[2:] for r in md_rows(out.with_suffix(".md").read_text())}
    assert rows[("keyword (input)", "overall")] == ["70 (52-83)", "40 (12-77)", "30", "5"]
    assert rows[("keyword (input)", "code")] == ["67 (30-90)", "100 (21-100)", "6", "1"]
    assert rows[("keyword (input)", "plain")][:2] == ["100 (61-100)", "0 (0-79)"]


def test_old_mix_and_head_names_are_read_as_the_new(tmp_path):
    """Runs recorded before the rename (`multitask`, `classifier:multitask`) are labelled with
    today's names, and a mix's repair kind is its whole name (`all-formats`, not `all`)."""
    from safetygap.bench.formats import FORMATS
    from safetygap.report.collect import FORMATS as SHOWN
    from safetygap.report.collect import Run, Runs, from_folders, model_labels, renamed
    from safetygap.report.repairs import repair_points

    assert list(SHOWN) == FORMATS.names()
    ft = tmp_path / "ft"
    ft.mkdir()
    for mix, label in (("multitask", "all-formats-0.3"), ("/data/my-mix.jsonl", "my-mix-0.3")):
        settings = {"task": "code", "safety_mix": mix, "safety_ratio": 0.3}
        (ft / "settings.json").write_text(json.dumps({"settings": settings}))
        assert model_labels(None, str(ft))["safety_mix"] == label
    old = {"safety_mix": "singletask-0.2", "guard": "classifier:multitask", "task": "code"}
    new = {"safety_mix": "plain-0.2", "guard": "classifier:all-formats", "task": "code"}
    assert renamed(old) == new
    assert renamed({"safety_mix": "none"}) == {"safety_mix": "none"}
    guard = tmp_path / "g"
    guard.mkdir()
    (guard / "guard.json").write_text(
        json.dumps({"guard": "classifier:multitask", "mode": "input", "recall": {}})
    )
    assert [g.data["guard"] for g in from_folders(tmp_path).guards] == ["classifier:all-formats"]

    def point(mix):
        labels = {"model": "finetune", "task": "code", "safety_mix": mix, "mitigation": "none"}
        rate = {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6}
        asr = {"overall": rate, "by_format": {}}
        ev = Run("eval", f"ev-{mix}", labels, tmp_path, {"asr": asr})
        ev.data["over_refusal"] = {"overall": rate}
        metric = {"accuracy": {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6, "scale": "0-1"}}
        h = Run("helpfulness", f"h-{mix}", labels, tmp_path, {"kind": "classification"})
        h.data["metrics"] = metric
        h.eval_name = ev.name
        return ev, h

    pairs = [point(m) for m in ("none", "all-formats-0.3", "plain-0.1667")]
    runs = Runs("runs", evals=[e for e, _ in pairs], helpfulness=[h for _, h in pairs])
    assert [p["kind"] for p in repair_points(runs)["code"]] == ["none", "plain", "all-formats"]


def test_repairs_on_other_items_are_not_paired_with_the_fine_tune(tmp_path):
    """A repair whose eval answered other bench items is a group of its own, not a point set
    beside (and paired with) the unrepaired fine-tune."""
    from safetygap.report.collect import Run, Runs
    from safetygap.report.repairs import repair_map

    def point(mitigation, items):
        labels = {"model": "finetune", "task": "code", "mitigation": mitigation}
        rate = {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6}
        data = {"asr": {"overall": rate, "by_format": {}}, "over_refusal": {"overall": rate}}
        ev = Run("eval", f"ev-{mitigation}", labels, tmp_path, data, items=items)
        ev.items_desc = f"bench.jsonl, {items} items"
        metric = {"accuracy": {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6, "scale": "0-1"}}
        h = Run("helpfulness", f"h-{mitigation}", labels, tmp_path, {"kind": "classification"})
        h.data |= {"metrics": metric, "n": 8}
        h.eval_name = ev.name
        return ev, h

    pairs = [point("none", "30"), point("scale-0.5", "2")]
    runs = Runs("runs", evals=[e for e, _ in pairs], helpfulness=[h for _, h in pairs])
    groups = repair_map(runs)  # would pair them (and fail on their missing folders) if grouped
    assert sorted(groups) == [
        "code (bench.jsonl, 2 items; 8 task items)",
        "code (bench.jsonl, 30 items; 8 task items)",
    ]
    assert all(len(pts) == 1 and "versus" not in pts[0] for pts in groups.values())
