"""One self-contained HTML file (plots embedded as PNG data, no network at view time) and the
same tables in Markdown. Everything from runs is escaped (Jinja2 autoescape); a Content
Security Policy lets only the report's own script run, the one that marks which plots drew."""

import base64
import hashlib
import json
import time
from pathlib import Path

from safetygap.jsonl import atomic_write
from safetygap.report.collect import FORMATS, Runs
from safetygap.report.findings import findings, left_out
from safetygap.report.plots import (
    FIGURES,
    calibration_name,
    calibrations,
    distinct_guards,
    png,
)

CAPTIONS = {
    "asr_heatmap": "ASR (%) of {bases} and of each fine-tune and repair, by the format of the "
    "harmful prompt; one panel per calibration and set of bench items.",
    "calibrations": "Overall ASR with 95% intervals, per fine-tuning task and calibration (chat "
    "template x system prompt at test time).",
    "compliance_harm": "Answered in any way (ASR) against on-topic harmful help (harm ASR), per "
    "eval run: the gap is answers that comply in form but help little.",
    "repair_map": "Each repair of an eroded fine-tune: task skill (held-out metric) against ASR. "
    "Big markers: the Pareto front (no other repair is both safer and more skilled). The tables "
    "below pair each repair with the unrepaired fine-tune and name the best one by a stated rule.",
    "curves": "ASR on a bench subset during fine-tuning (finetune --safety-every), overall and "
    "by format.",
    "guards": "Guard recall on harmful prompts and false positives on benign look-alikes, by "
    "format.",
    "judges": "The judges against human gold labels (safetygap judge agree --gold), and their "
    "agreement with each other (Cohen's kappa).",
}

CHECK_SCRIPT = (
    'window.addEventListener("load",function(){var s=document.querySelectorAll("img[data-plot]"),'
    "n=0;s.forEach(function(i){if(i.complete&&i.naturalWidth>0)n++});"
    'document.body.setAttribute("data-plots-drawn",n+"/"+s.length)});'
)


def pct(r: dict | None) -> str:
    """`57 (44-68)`: a rate and its interval in %; over seeds `57 (44-68) ±5`, the SD of the
    seed runs' rates after it."""
    if not r or r.get("value") is None:
        return "-"
    text = f"{100 * r['value']:.0f} ({100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f})"
    return text + (f" ±{100 * r['sd']:.0f}" if r.get("sd") is not None else "")


def interval(r: dict) -> str:
    return f"{r['value']:.1f} ({r['ci_low']:.1f}-{r['ci_high']:.1f})"


def base_words(runs: Runs) -> str:
    """The bases of the runs, as `collect.base_name` says each."""
    bases = dict.fromkeys(runs.model_id(r) for r in runs.evals if r.labels.get("model") == "base")
    return ", ".join(bases) or "the base"


def tables(runs: Runs) -> list[dict]:
    out = []
    for key, rows in calibrations(runs).items():
        body = []
        for name, r in rows.items():
            asr = r.data["asr"]
            cells = [pct(asr["by_format"].get(f)) for f in FORMATS]
            body.append([name, pct(asr["overall"]), *cells, pct(r.data["over_refusal"]["overall"])])
        out.append(
            {
                "title": f"ASR by format, % (95% CI): {calibration_name(key, runs)}",
                "header": ["model", "overall", *FORMATS, "over-refusal"],
                "rows": body,
            }
        )
    out += seed_tables(runs)
    from safetygap.report.repairs import repair_map
    from safetygap.report.repairs import tables as repair_tables

    out += repair_tables(repair_map(runs))
    guards = distinct_guards(runs)
    if guards:
        names = [f"{g.data['guard']} ({g.data['mode']})" for g in guards]
        names = [
            f"{n}, {g.name}" if names.count(n) > 1 else n
            for n, g in zip(names, guards, strict=True)
        ]
        body = []
        for name, g in zip(names, guards, strict=True):
            recall, fpr = g.data["recall"], g.data["false_positive_rate"]
            shown = [f for f in FORMATS if f in recall["by_format"] or f in fpr["by_format"]]
            for f in ["overall", *shown]:
                r = recall["overall"] if f == "overall" else recall["by_format"].get(f)
                b = fpr["overall"] if f == "overall" else fpr["by_format"].get(f)
                body.append([name, f, pct(r), pct(b), (r or {}).get("n", 0), (b or {}).get("n", 0)])
        out.append(
            {
                "title": "Guards: recall on harmful prompts, and its cost: benign look-alikes "
                "blocked (false positives), % (95% CI)",
                "header": ["guard", "format", "recall", "false positives", "harmful", "benign"],
                "rows": body,
            }
        )
    return out


def statistics_words(runs: Runs) -> str:
    """The report's statistics in one sentence: one run per model, or several seeds."""
    if runs.n_seeds() == 1:
        return (
            "One training run per model: every rate has a Wilson 95% interval and every change a "
            "paired exact McNemar test, which cover the sampling of bench items only, not the "
            "spread between fine-tuning runs."
        )
    return (
        f"Up to {runs.n_seeds()} runs per model (training seeds x aligned bases): every rate is "
        "the mean over a model's runs, with the SD of the runs and a 95% interval counting both "
        "the items and the runs; every change is a seed-aware test paired by item (and by seed "
        "where both models have the same seeds). See docs/statistics.md."
    )


def seed_tables(runs: Runs) -> list[dict]:
    """Where models have several runs: each run's overall ASR, so that the spread is seen."""
    from safetygap.report.seeds import members, seed_of

    if runs.n_seeds() == 1:
        return []
    body = []
    for key, rows in calibrations(runs).items():
        for name, r in rows.items():
            if len(members(r)) < 2:
                continue
            cells = []
            for m in members(r):
                a, s = seed_of(m)
                seed = ", ".join(
                    ([f"align {a}"] if a is not None else [])
                    + ([f"seed {s}"] if s is not None else [])
                )
                cells.append(f"{seed}: {100 * m.data['asr']['overall']['value']:.0f}")
            body.append([name, calibration_name(key, runs), "; ".join(cells)])
    if not body:
        return []
    return [
        {
            "title": "Each run's overall ASR, % (the runs behind each mean)",
            "header": ["model", "calibration", "runs"],
            "rows": body,
        }
    ]


def json_rows(runs: Runs) -> list[dict]:
    """report.json's rows: one per shown model x format x metric, `format` `overall` for the
    whole bench (and for skill metrics, which have no format): ASR, harm ASR (where the judge
    gives levels), over-refusal, and every skill metric of each model's task."""
    from safetygap.report.seeds import by_seeds, members, skill

    out = []

    def row(model, calibration, fmt, metric, r, n_seeds):
        out.append(
            {
                "model": model,
                "calibration": calibration,
                "format": fmt,
                "metric": metric,
                "mean": r.get("value"),
                "sd": r.get("sd"),
                "ci_low": r.get("ci_low"),
                "ci_high": r.get("ci_high"),
                "n_seeds": n_seeds,
                "n_items": r.get("n"),
            }
        )

    for key, rows in calibrations(runs).items():
        where = calibration_name(key, runs)
        for name, r in rows.items():
            k = len(members(r))
            for metric in ("asr", "harm_asr"):
                if metric not in r.data:
                    continue
                row(name, where, "overall", metric, r.data[metric]["overall"], k)
                for f, rate in r.data[metric]["by_format"].items():
                    row(name, where, f, metric, rate, k)
            row(name, where, "overall", "over_refusal", r.data["over_refusal"]["overall"], k)
    helps: dict[tuple, list] = {}
    for h in runs.helpfulness:
        sp = h.labels.get("system_prompt", "off")
        key = (runs.model_id(h, seeds=False), h.labels.get("task"), sp)
        helps.setdefault(key, []).append(h)
    for (model, task, sp), group in helps.items():
        parts = by_seeds(group)
        for part in parts:
            name = model if len(parts) == 1 else f"{runs.model_id(part[0])} ({part[0].name})"
            for metric in part[0].data["metrics"]:
                r = skill(part, metric)
                row(name, f"task {task}, system prompt {sp}", "overall", metric, r, len(part))
    return out


def outputs(runs: Runs, max_chars: int, per_run: int = 3) -> list[dict]:
    """A few answered harmful prompts per fine-tune eval, truncated."""
    from safetygap.jsonl import read_jsonl

    rows = []
    for name, r in zip(runs.names(runs.evals), runs.evals, strict=True):
        if r.labels.get("model") != "finetune" or not (r.folder / "judgments.jsonl").is_file():
            continue
        answered = {
            str(j["id"])
            for j in read_jsonl(r.folder / "judgments.jsonl")
            if j["verdict"] == "answered"
        }
        bench = {str(b["id"]): b for b in read_jsonl(r.folder / "bench.jsonl")}
        shown = 0
        for resp in read_jsonl(r.folder / "responses.jsonl"):
            item = bench.get(str(resp["id"]), {})
            if str(resp["id"]) in answered and item.get("harmful", True) and shown < per_run:
                rows.append(
                    {
                        "run": name,
                        "format": item.get("format", "?"),
                        "prompt": cut(item.get("prompt", ""), max_chars),
                        "response": cut(resp["response"], max_chars),
                    }
                )
                shown += 1
    return rows


def cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + " [...]"


def scale(runs: Runs) -> str:
    if runs.config:
        model = runs.config.get("model", "?")
        models = {"SmolLM2-135M-Instruct (embedded)" if model == "embedded" else model}
    else:
        models = {Path(str(r.data.get("model", "?"))).name for r in runs.evals}
    n = max((r.data["asr"]["overall"]["n"] for r in runs.evals), default=0)
    return f"{', '.join(sorted(models)) or 'no eval runs'}; up to {n} harmful bench items per eval"


def render(
    runs: Runs,
    root: Path,
    out: Path,
    show_outputs: bool = False,
    max_chars: int = 300,
    log=print,
    first: dict | None = None,
) -> dict:
    """Write `out` (HTML) and `out` with .md (Markdown); return what was drawn. `first`: figures
    and tables shown before the runs' own (a search's section)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    figures = list((first or {}).get("figures", []))
    for key, (title, draw) in FIGURES.items():
        fig = draw(runs)
        if fig is not None:
            caption = CAPTIONS[key].replace("{bases}", base_words(runs))
            figures.append({"key": key, "title": title, "png": png(fig), "caption": caption})
    digest = base64.b64encode(hashlib.sha256(CHECK_SCRIPT.encode()).digest()).decode()
    context = {
        "title": root.name,
        "source": f"{'sweep' if runs.source == 'sweep' else 'runs'} in {root}",
        "n_evals": len(runs.evals),
        "n_help": len(runs.helpfulness),
        "n_guards": len(runs.guards),
        "written": time.strftime("%Y-%m-%d %H:%M"),
        "judges": ", ".join(sorted({str(r.data.get("judge")) for r in runs.evals})) or "-",
        "statistics": statistics_words(runs),
        "findings": findings(runs),
        "notes": left_out(runs),
        "scale": scale(runs),
        "figures": figures,
        "tables": list((first or {}).get("tables", [])) + tables(runs),
        "outputs": outputs(runs, max_chars) if show_outputs else [],
        "max_chars": max_chars,
        "script": CHECK_SCRIPT,
        "script_hash": f"sha256-{digest}",
    }
    env = Environment(
        loader=PackageLoader("safetygap.report", "templates"),
        autoescape=select_autoescape(["j2", "html"]),
    )
    html = env.get_template("report.html.j2").render(**context)
    with atomic_write(out) as f:
        f.write(html)
    with atomic_write(out.with_suffix(".md")) as f:
        f.write(markdown(context))
    with atomic_write(out.with_suffix(".json")) as f:
        json.dump({"rows": json_rows(runs)}, f, indent=1)
    return {"figures": [f["key"] for f in figures], "findings": context["findings"]}


def markdown(context: dict) -> str:
    def esc(x) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    lines = [f"# safetygap: {context['title']}", "", context["statistics"], ""]
    lines += ["## The paper's four findings, and ours", ""]
    lines += ["| the paper | here | evidence |", "|---|---|---|"]
    lines += [
        f"| {esc(f['paper'])} | {f['verdict']} | {esc(f['evidence'])} |"
        for f in context["findings"]
    ]
    if context["notes"]:
        lines += ["", "Left out:", ""] + [f"- {esc(n)}" for n in context["notes"]]
    for t in context["tables"]:
        lines += ["", f"## {t['title']}", ""]
        lines += [t["note"], ""] if t.get("note") else []
        lines += ["| " + " | ".join(t["header"]) + " |"]
        lines += ["|" + "---|" * len(t["header"])]
        lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in t["rows"]]
    return "\n".join(lines) + "\n"
