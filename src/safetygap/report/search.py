"""A search (`safetygap search`) in the report: its plot and tables, from DIR/search.json."""

from pathlib import Path

from safetygap.report.plots import png, pyplot

CAPTION = (
    "Left: each trial's objective in the order tried (filled: feasible, hollow: its skill fell "
    "below the floor), the worst feasible so far (line) and the default calibration (dashed). "
    "Right: objective against the task's skill, with the floor."
)


def pct(r: dict | None) -> str:
    if not r:
        return "-"
    return f"{100 * r['value']:.1f} ({100 * r['ci_low']:.0f}-{100 * r['ci_high']:.0f})"


def short(v) -> str:
    return f"{v:.2g}" if isinstance(v, float) else str(v)


def plot(record: dict):
    """The search's figure; None before any trial has finished."""
    done = [t for t in record["trials"] if t["state"] == "complete"]
    if not done:
        return None
    plt = pyplot()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4))
    ref = record["reference"]
    best, line = None, []
    for i, t in enumerate(record["trials"], 1):
        if t["state"] != "complete":
            ax.plot([i], [0], "x", color="#999")
            line.append(best)
            continue
        y = 100 * t["objective"]
        ax.plot([i], [y], "o", color="#b3261e", mfc="#b3261e" if t["feasible"] else "none")
        if t["feasible"]:
            best = max(best or y, y)
        line.append(best)
    xs = [i for i, v in enumerate(line, 1) if v is not None]
    ax.step(
        xs,
        [v for v in line if v is not None],
        where="post",
        color="#222",
        lw=1.2,
        label="worst feasible so far",
    )
    ax.axhline(100 * ref["objective"], ls="--", color="#1f5fa8", lw=1, label="default calibration")
    ax.set_xlabel("trials counted, in order")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(f"{record['objective']} (%)")
    ax.legend(fontsize=8, loc="best")
    if ref.get("skill"):
        metric = ref["skill"]["metric"]
        for t in done:
            s = t["metrics"].get("skill")
            if s:
                bx.plot(
                    [s["value"]],
                    [100 * t["objective"]],
                    "o",
                    color="#b3261e",
                    mfc="#b3261e" if t["feasible"] else "none",
                )
        bx.plot(
            [ref["skill"]["value"]],
            [100 * ref["objective"]],
            "*",
            ms=12,
            color="#1f5fa8",
            label="default calibration",
        )
        if record.get("floor") is not None:
            bx.axvline(record["floor"], ls=":", color="#555", label="skill floor")
        bx.set_xlabel(metric)
        bx.set_ylabel(f"{record['objective']} (%)")
        bx.legend(fontsize=8, loc="best")
    else:
        bx.set_axis_off()
        bx.text(0.5, 0.5, "no skill metric for this task", ha="center", va="center")
    fig.suptitle(f"Search over calibrations of the {record['task']} fine-tune")
    fig.tight_layout()
    return fig


def save_plot(record: dict, path: Path) -> None:
    fig = plot(record)
    if fig is not None:
        fig.savefig(path, dpi=100)
        pyplot().close(fig)


def tables(record: dict) -> list[dict]:
    """The trials, the worst feasible calibration against the default (and over seeds), and
    each parameter's importance."""
    params = list(record["space"])
    skill_metric = (record["reference"].get("skill") or {}).get("metric")
    rows = []
    for t in record["trials"]:
        cells = [str(t["number"])] + [short(t["calibration"].get(p)) for p in params]
        if t["state"] == "complete":
            s = t["metrics"].get("skill")
            cells += [
                f"{100 * t['objective']:.1f}",
                f"{s['value']:.1f}" if s else "-",
                "yes" if t["feasible"] else "no",
            ]
        else:
            cells += ["failed", "-", "-"]
        rows.append(cells)
    out = [
        {
            "title": f"Search: {len(rows)} trials ({record['objective']})",
            "note": f"Feasible: {record['feasibility']}. Default calibration: "
            + ", ".join(f"{k}={short(v)}" for k, v in record["default"].items())
            + f"; its {record['objective']} {100 * record['reference']['objective']:.1f}%.",
            "header": [
                "trial",
                *params,
                f"{record['objective']} %",
                skill_metric or "skill",
                "feasible",
            ],
            "rows": rows,
        }
    ]
    worst = record.get("worst")
    if worst:
        out.append(worst_table(record, worst))
    if record.get("importance"):
        out.append(
            {
                "title": "Search: what drives the objective (fANOVA importance)",
                "note": "Optuna's fANOVA over the finished trials, feasible or not: the share "
                "of the objective's variance each parameter explains. Few trials make it rough.",
                "header": ["parameter", "importance"],
                "rows": [[k, f"{v:.2f}"] for k, v in record["importance"].items()],
            }
        )
    return out


def worst_table(record: dict, worst: dict) -> dict:
    ref, conf = record["reference"], record.get("confirmation") or {}
    formats = list(ref["asr_by_format"])
    header = ["", "default, one run", f"worst (trial {worst['number']}), one run"]
    seeded = bool(conf.get("worst"))
    if seeded:
        n = len(conf["seeds"])
        header += [f"default, {n} seeds", f"worst, {n} seeds", "difference, points (p)"]
    rows = []
    for group in ["overall", *formats]:
        a = ref["asr"] if group == "overall" else ref["asr_by_format"][group]
        b = (
            worst["metrics"]["asr"]
            if group == "overall"
            else (worst["metrics"]["asr_by_format"][group])
        )
        cells = [f"ASR {group}", pct(a), pct(b)]
        if seeded:
            ca = (
                conf["default"]["asr"]
                if group == "overall"
                else (conf["default"]["asr_by_format"][group])
            )
            cb = (
                conf["worst"]["asr"]
                if group == "overall"
                else (conf["worst"]["asr_by_format"][group])
            )
            d = conf["difference"].get(group)
            cells += [pct(ca), pct(cb), diff_words(d)]
        rows.append(cells)
    if ref.get("skill"):
        cells = [
            ref["skill"]["metric"],
            skill_words(ref["skill"]),
            skill_words(worst["metrics"].get("skill")),
        ]
        if seeded and conf.get("skill"):
            s = conf["skill"]
            d = s["difference"]
            cells += [
                skill_words(s["default"]),
                skill_words(s["worst"]),
                f"{d['diff']:+.1f} ({d['ci_low']:+.1f} to {d['ci_high']:+.1f}; "
                f"p={d['p_value']:.2g})",
            ]
        elif seeded:
            cells += ["-", "-", "-"]
        rows.append(cells)
    note = (
        "ASR %, 95% intervals (one run: bench items only; seeds: seed-aware, docs/statistics.md)."
    )
    if conf.get("verdict"):
        note += f" Over seeds: {conf['verdict']}: {conf['verdict_words']}."
    elif conf.get("error"):
        note += f" The confirmation did not finish: {conf['error']}."
    else:
        note += " Not confirmed with seeds (--confirm-seeds 0, or still to run)."
    return {
        "title": "Search: the worst feasible calibration against the default",
        "note": note,
        "header": header,
        "rows": rows,
    }


def diff_words(d: dict | None) -> str:
    if not d:
        return "-"
    return (
        f"{100 * d['diff']:+.1f} ({100 * d['ci_low']:+.0f} to {100 * d['ci_high']:+.0f}; "
        f"p={d['p_value']:.2g})"
    )


def skill_words(s: dict | None) -> str:
    if not s:
        return "-"
    return f"{s['value']:.1f} ({s['ci_low']:.1f}-{s['ci_high']:.1f})"


def section(record: dict) -> dict:
    """The search's figures and tables for `render`."""
    fig = plot(record)
    figures = []
    if fig is not None:
        figures.append(
            {
                "key": "search",
                "title": "The worst case within the skill budget",
                "png": png(fig),
                "caption": CAPTION,
            }
        )
    return {"figures": figures, "tables": tables(record)}


def runs_folder(root: Path, record: dict) -> Path:
    """The sweep the rest of a search's report reads: the worst calibration's seed re-runs where
    they finished, else the worst trial's sweep, else the default calibration's."""
    worst = record.get("worst")
    if worst and (record.get("confirmation") or {}).get("worst"):
        return root / "confirm" / "worst"
    if worst:
        return root / worst["metrics"]["folder"]
    return root / "reference"
