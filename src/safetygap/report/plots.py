"""The report's figures (matplotlib, drawn off-screen): each function returns a figure, or None
when the runs hold nothing to draw it from."""

from pathlib import Path

from safetygap.report.collect import FORMATS, Run, Runs

PLAIN = {"safety_mix": "none", "mitigation": "none"}


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def is_plain(run: Run) -> bool:
    return all(run.labels.get(k, "none") == v for k, v in PLAIN.items())


def model_key(spec) -> str:
    """A model spec, the same string for a local folder however its path is written."""
    spec = str(spec)
    return str(Path(spec).resolve()) if Path(spec).is_dir() else spec


def kind_order(run: Run) -> tuple:
    lab = run.labels
    return (
        lab.get("task") or "",
        lab.get("safety_mix", "none") != "none",
        lab.get("mitigation", "none"),
    )


def calibrations(runs: Runs) -> dict[tuple, dict[str, Run]]:
    """(chat format, system prompt, items) -> row name -> eval: every eval run, in the table of
    its calibration and of the items it was evaluated on; a fine-tune's table has, first, the
    eval of the base it was trained from on the same items with the same system prompt. A base
    that no fine-tune's table holds has a table of its own (chat format `-`)."""
    bases = [r for r in runs.evals if r.labels.get("model") == "base"]
    fts = sorted((r for r in runs.evals if r.labels.get("model") != "base"), key=kind_order)
    groups: dict[tuple, list[Run]] = {}
    placed = set()
    for r in fts:
        sp = r.labels.get("system_prompt", "off")
        key = (r.labels.get("chat_format", "native"), sp, r.items)
        rows = groups.setdefault(key, [])
        for b in bases:
            same = model_key(b.data.get("model")) == model_key(r.data.get("model"))
            if same and b.labels.get("system_prompt", "off") == sp and b.items == r.items:
                if b not in rows:
                    rows.insert(sum(x in bases for x in rows), b)
                placed.add(id(b))
        rows.append(r)
    for b in bases:
        if id(b) not in placed:
            groups.setdefault(("-", b.labels.get("system_prompt", "off"), b.items), []).append(b)
    out = {key: over_seeds(runs, rows) for key, rows in groups.items()}
    return dict(sorted(out.items(), key=lambda kv: tuple(str(x) for x in kv[0])))


def over_seeds(runs: Runs, rows: list[Run]) -> dict[str, Run]:
    """Row name -> run of a calibration's table: the runs of one model over its seeds (each
    seed once) become one row (`report.seeds.aggregate`); runs that cannot be told apart by
    their seeds stay rows of their own, named with their folders."""
    from safetygap.report.seeds import aggregate, by_seeds

    by: dict[str, list[Run]] = {}
    for r in rows:
        by.setdefault(runs.model_id(r, seeds=False), []).append(r)
    shown, ids = [], []
    for model, group in by.items():
        for part in by_seeds(group):
            shown.append(aggregate(part))
            ids.append(model if len(part) > 1 else runs.model_id(part[0]))
    return dict(zip(runs.names(shown, ids), shown, strict=True))


def items_desc(runs: Runs, key: tuple) -> str:
    """The items of a calibration's evals, in words."""
    return next((r.items_desc for r in runs.evals if r.items == key[2]), "")


def calibration_name(key: tuple, runs: Runs | None = None) -> str:
    chat, sp = key[:2]
    name = f"system prompt {sp}" if chat == "-" else f"{chat} template, system prompt {sp}"
    desc = items_desc(runs, key) if runs is not None and len(key) > 2 else ""
    return f"{name}; {desc}" if desc else name


def asr_heatmap(runs: Runs):
    cals = calibrations(runs)
    if not cals:
        return None
    plt = pyplot()
    rows = max(len(r) for r in cals.values())
    fig, axes = plt.subplots(
        1,
        len(cals),
        figsize=(7 * len(cals) + 1, 0.5 * max(rows, 6) + 1.6),
        squeeze=False,
        layout="constrained",  # room for the row names, however long
    )
    for ax, (key, rows) in zip(axes[0], cals.items(), strict=True):
        names = list(rows)
        grid = [
            [
                100 * rows[n].data["asr"]["by_format"].get(f, {}).get("value", float("nan"))
                for f in FORMATS
            ]
            for n in names
        ]
        im = ax.imshow(grid, cmap="Reds", vmin=0, vmax=100, aspect="auto")
        ax.set_xticks(range(len(FORMATS)), FORMATS, rotation=30, ha="right")
        ax.set_yticks(range(len(names)), names)
        spread = [
            [rows[n].data["asr"]["by_format"].get(f, {}).get("sd") for f in FORMATS] for n in names
        ]
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                sd = spread[i][j]
                ax.text(
                    j,
                    i,
                    f"{v:.0f}" + (f"±{100 * sd:.0f}" if sd is not None else ""),
                    ha="center",
                    va="center",
                    color="white" if v > 60 else "black",
                    fontsize=9,
                )
        ax.set_title(calibration_name(key, runs), fontsize=8)
        ax.set_xlabel("format of the harmful prompt")
    axes[0][0].set_ylabel("model")
    fig.colorbar(im, ax=axes[0].tolist(), label="ASR, %", shrink=0.8)
    return fig


def calibration_bars(runs: Runs):
    cals = calibrations(runs)
    names = list(dict.fromkeys(n for rows in cals.values() for n in rows))
    if not names:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(names) * max(1, len(cals)) / 2 + 3), 4))
    width = 0.8 / len(cals)
    for k, (key, rows) in enumerate(cals.items()):
        xs, ys, lo, hi = [], [], [], []
        for i, n in enumerate(names):
            if n in rows:
                r = rows[n].data["asr"]["overall"]
                xs.append(i + k * width - 0.4 + width / 2)
                ys.append(100 * r["value"])
                lo.append(100 * (r["value"] - r["ci_low"]))
                hi.append(100 * (r["ci_high"] - r["value"]))
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=calibration_name(key, runs))
    ax.set_xticks(range(len(names)), names, rotation=20, ha="right")
    ax.set_ylabel("ASR over all formats, % (95% CI)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return fig


def compliance_vs_harm(runs: Runs):
    points = [r for r in runs.evals if "harm_asr" in r.data]
    if not points:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    for r in points:
        x, y = 100 * r.data["asr"]["overall"]["value"], 100 * r.data["harm_asr"]["overall"]["value"]
        ax.scatter(x, y, color="tab:red" if r.labels["model"] == "finetune" else "black")
        if len(points) > 12:  # too many to name
            continue
        ax.annotate(
            runs.model_id(r) + f" ({r.labels.get('system_prompt', 'off')})",
            (x, y),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
        )
    ax.plot([0, 100], [0, 100], ":", color="grey", lw=1)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("ASR: answered in any way, %")
    ax.set_ylabel("harm ASR: on-topic help, %")
    ax.grid(alpha=0.3)
    return fig


COLOURS = {
    "none": "black",
    "plain": "tab:orange",
    "all-formats": "tab:green",
    "backdoor": "tab:pink",
    "ptst": "tab:purple",
    "scale": "tab:blue",
    "safelora": "tab:red",
    "resta": "tab:brown",
    "first-tokens": "tab:cyan",
    "safety-tokens": "tab:olive",
}


def repair_map(runs: Runs):
    from safetygap.report.repairs import pareto, repair_points

    groups = {g: pts for g, pts in repair_points(runs).items() if len(pts) > 1}
    if not groups:
        return None
    plt = pyplot()
    cols = min(2, len(groups))
    rows = -(-len(groups) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 5 * rows), squeeze=False)
    for ax in axes.flat[len(groups) :]:
        ax.axis("off")
    for ax, (group, pts) in zip(axes.flat, groups.items(), strict=False):
        front = pareto(pts)
        seen = set()
        for p in pts:
            x, y = p["skill"]["value"], 100 * p["asr"]["value"]
            ax.errorbar(
                x,
                y,
                xerr=[[x - p["skill"]["ci_low"]], [p["skill"]["ci_high"] - x]],
                yerr=[[y - 100 * p["asr"]["ci_low"]], [100 * p["asr"]["ci_high"] - y]],
                fmt="o",
                color=COLOURS.get(p["kind"], "tab:grey"),
                label=None if p["kind"] in seen else p["kind"],
                ms=9 if p["name"] in front else 5,
                capsize=2,
                alpha=0.8,
            )
            seen.add(p["kind"])
            ax.annotate(p["name"], (x, y), fontsize=7, xytext=(4, 3), textcoords="offset points")
        fp = sorted(
            (p["skill"]["value"], 100 * p["asr"]["value"]) for p in pts if p["name"] in front
        )
        ax.plot(
            [x for x, _ in fp], [y for _, y in fp], "--", color="grey", lw=1, label="Pareto front"
        )
        ax.set_xlabel(f"{group}: {pts[0]['metric']} (95% CI)")
        ax.set_ylabel("ASR, % (95% CI)")
        ax.set_title(f"repairs of the {group} fine-tune", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def safety_curves(runs: Runs):
    curves = [c for c in runs.curves if len(c.data["points"]) > 1]
    if not curves:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, len(curves), figsize=(5 * len(curves), 3.8), squeeze=False)
    for ax, c in zip(axes[0], curves, strict=True):
        steps = [p["step"] for p in c.data["points"]]
        ax.plot(
            steps,
            [100 * p["asr"]["overall"] for p in c.data["points"]],
            "k-o",
            label="overall",
            ms=3,
        )
        for f in FORMATS:
            ys = [100 * p["asr"]["by_format"].get(f, float("nan")) for p in c.data["points"]]
            ax.plot(steps, ys, "-", lw=1, alpha=0.7, label=f)
        refused = [p.get("over_refusal") for p in c.data["points"]]
        if any(r is not None for r in refused):  # curves written since the TRL callback
            ys = [float("nan") if r is None else 100 * r for r in refused]
            ax.plot(steps, ys, "k:", lw=1.5, label="over-refusal")
        ax.set_title(runs.model_id(c), fontsize=9)
        ax.set_xlabel("training step")
        ax.set_ylabel("ASR, %")
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    return fig


def distinct_guards(runs: Runs) -> list[Run]:
    """One guard run per (guard, mode, bench items): recall and false positives depend on the
    bench, not on the eval run."""
    seen, out = set(), []
    for g in runs.guards:
        key = (g.data["guard"], g.data["mode"], g.data.get("bench_sha256"), g.data.get("n_items"))
        if key not in seen:
            seen.add(key)
            out.append(g)
    return out


def guard_recall(runs: Runs):
    guards = distinct_guards(runs)
    if not guards:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(guards)
    for k, g in enumerate(guards):
        for ax, key in zip(axes, ("recall", "false_positive_rate"), strict=True):
            by = g.data[key]["by_format"]
            shown = [
                (i, by[f]) for i, f in enumerate(FORMATS) if by.get(f, {}).get("value") is not None
            ]
            xs = [i + k * width - 0.4 + width / 2 for i, _ in shown]
            rs = [r for _, r in shown]
            ax.bar(
                xs,
                [100 * r["value"] for r in rs],
                width,
                yerr=[
                    [100 * (r["value"] - r["ci_low"]) for r in rs],
                    [100 * (r["ci_high"] - r["value"]) for r in rs],
                ],
                capsize=2,
                label=f"{g.data['guard']} ({g.data['mode']})",
            )
    for ax, title in zip(
        axes, ("recall on harmful prompts", "false positives on benign look-alikes"), strict=True
    ):
        ax.set_xticks(range(len(FORMATS)), FORMATS, rotation=20)
        ax.set_ylim(0, 100)
        ax.set_ylabel("%, 95% CI")
        ax.set_title(title, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    return fig


def judge_agreement(runs: Runs):
    """Per `judge agree` report: each judge's accuracy on gold labels (95% CI), or, without
    gold, Cohen's kappa of each pair of judges."""
    reports = runs.agreements[:4]
    if not reports:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, len(reports), figsize=(4.5 * len(reports), 3.8), squeeze=False)
    for ax, r in zip(axes[0], reports, strict=True):
        gold = r.data.get("gold") or {}
        if gold:
            names = list(gold)
            ys = [100 * gold[j]["accuracy"] for j in names]
            ci = [gold[j].get("accuracy_ci") or [gold[j]["accuracy"]] * 2 for j in names]
            err = [
                [y - 100 * c[0] for y, c in zip(ys, ci, strict=True)],
                [100 * c[1] - y for y, c in zip(ys, ci, strict=True)],
            ]
            ax.bar(range(len(names)), ys, yerr=err, capsize=3, color="tab:green")
            ax.set_ylabel(f"accuracy on {gold[names[0]]['n']} gold labels, %")
        else:
            names = [f"{p['a']} / {p['b']}" for p in r.data["pairs"]]
            ax.bar(range(len(names)), [p["kappa"] for p in r.data["pairs"]], color="tab:green")
            ax.set_ylabel("Cohen's kappa")
        ax.set_xticks(range(len(names)), [n.split(":")[0] for n in names], rotation=20)
        kappas = ", ".join(f"{p['kappa']:.2f}" for p in r.data["pairs"])
        ax.set_title(f"{r.name} (kappa {kappas})", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    return fig


FIGURES = {
    "asr_heatmap": ("ASR by format and fine-tuning task", asr_heatmap),
    "calibrations": ("ASR per calibration", calibration_bars),
    "compliance_harm": ("Answered vs actually harmful", compliance_vs_harm),
    "repair_map": ("Repairs: safety against skill", repair_map),
    "curves": ("ASR during fine-tuning", safety_curves),
    "guards": ("Guards across formats", guard_recall),
    "judges": ("Judge agreement", judge_agreement),
}


def png(fig) -> str:
    """The figure as a base64 PNG (for a data: URI), and closed."""
    import base64
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    pyplot().close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")
