"""The paper's four findings (Jan et al. 2024) set beside what these runs show.

Each finding is checked on the runs at hand, with the evidence and a verdict: `reproduced`,
`partly`, `not reproduced`, or `not measured` when the runs lack what it needs (for example no
guard runs, or fewer than three tasks).
"""

from safetygap.report.collect import FORMATS, Runs
from safetygap.report.plots import calibrations, distinct_guards, repair_points

ALPHA = 0.05


def main_calibration(runs: Runs) -> dict:
    """The base and plain fine-tunes of the paper's main calibration (native template, no
    system prompt) or the first one there is."""
    cals = calibrations(runs)
    return cals.get(("native", "off")) or next(iter(cals.values()), {})


def verdict(hits: int, needed: int) -> str:
    return "reproduced" if hits == needed else "partly" if hits else "not reproduced"


def tasks_that_erode(runs: Runs) -> dict:
    from safetygap.eval.compare import compare

    rows = main_calibration(runs)
    tasks = [t for t in rows if t != "base"]
    finding = {
        "paper": "Code and translation fine-tuning degrade safety the most.",
        "verdict": "not measured",
        "evidence": "needs the base and at least three fine-tuned tasks in one calibration",
    }
    if "base" not in rows or len(tasks) < 3:
        return finding
    rise = {}
    for t in tasks:
        overall = compare(rows["base"].folder, rows[t].folder)[0]
        rise[t] = (overall["diff"], overall["p_value"])
    ranked = sorted(tasks, key=lambda t: -rise[t][0])
    eroded = [t for t in ranked if rise[t][0] > 0 and rise[t][1] < ALPHA]
    hits = len({"code", "translation"} & set(eroded[:2]))
    finding["verdict"] = verdict(hits, 2) if {"code", "translation"} <= set(tasks) else "partly"
    finding["evidence"] = "ASR rise against the base: " + ", ".join(
        f"{t} {100 * rise[t][0]:+.1f} pt (p={rise[t][1]:.2g})" for t in ranked
    )
    return finding


def weakest_formats(runs: Runs) -> dict:
    rows = main_calibration(runs)
    fts = [r for name, r in rows.items() if name != "base"]
    finding = {
        "paper": "Translation and classification are the weakest formats (73-92% answered).",
        "verdict": "not measured",
        "evidence": "needs at least one fine-tune evaluated in every format",
    }
    if not fts:
        return finding
    mean = {}
    for f in FORMATS:
        vals = [
            r.data["asr"]["by_format"][f]["value"] for r in fts if f in r.data["asr"]["by_format"]
        ]
        if vals:
            mean[f] = sum(vals) / len(vals)
    ranked = sorted(mean, key=lambda f: -mean[f])
    weakest = {f for f in ranked if mean[f] >= mean[ranked[min(1, len(ranked) - 1)]]}  # ties in
    finding["verdict"] = verdict(len({"translation", "classification"} & weakest), 2)
    finding["evidence"] = f"mean ASR over {len(fts)} fine-tune(s): " + ", ".join(
        f"{f} {100 * mean[f]:.0f}%" for f in ranked
    )
    return finding


def guards_lack_robustness(runs: Runs) -> dict:
    finding = {
        "paper": "Guards lack cross-task robustness: task-format prompts slip past them.",
        "verdict": "not measured",
        "evidence": "needs a guard run (`guards` in the sweep, or `safetygap guard`)",
    }
    guards = [g for g in distinct_guards(runs) if g.data["mode"] == "input"]
    if not guards:
        return finding
    weak, notes = 0, []
    for g in guards:
        lost = [
            f"recall {f} {100 * c['difference']:+.0f} pt (p={c['p_value']:.2g})"
            for f, c in g.data["cross_format"].items()
            if c["difference"] < 0 and c["p_value"] < ALPHA
        ]
        fpr = g.data["false_positive_rate"]["by_format"]
        plain = fpr.get("plain")
        flagged = [
            f"false positives {f} {100 * r['value']:.0f}% vs plain {100 * plain['value']:.0f}%"
            for f, r in fpr.items()
            if plain and f != "plain" and r["ci_low"] > plain["ci_high"]
        ]
        weak += bool(lost or flagged)
        notes.append(
            f"{g.data['guard']}: " + ("; ".join(lost + flagged) or "no format differs from plain")
        )
    finding["verdict"] = verdict(weak, len(guards))
    finding["evidence"] = " | ".join(notes)
    return finding


def all_formats_mix_helps(runs: Runs) -> dict:
    finding = {
        "paper": "A safety mix in every format lowers ASR across tasks without hurting "
        "helpfulness.",
        "verdict": "not measured",
        "evidence": "needs fine-tunes with and without the all-formats mix, with helpfulness",
    }
    from safetygap.eval.compare import compare as compare_asr
    from safetygap.helpfulness.compare import compare as compare_skill

    good, notes, n = 0, [], 0
    for pts in repair_points(runs).values():
        none = next((p for p in pts if p["kind"] == "none"), None)
        for p in pts:
            if p["kind"] != "all-formats" or none is None:
                continue
            n += 1
            a = compare_asr(none["eval"], p["eval"])[0]
            s = next(
                r for r in compare_skill(none["help"], p["help"]) if r["metric"] == p["metric"]
            )
            k = 100 if s.get("scale") == "0-1" else 1
            lost = s["diff"] < 0 and s["p_value"] < ALPHA
            good += a["diff"] < 0 and a["p_value"] < ALPHA and not lost
            notes.append(
                f"{p['name']}: ASR {100 * a['diff']:+.1f} pt (p={a['p_value']:.2g}), "
                f"{p['metric']} {k * s['diff']:+.1f} (p={s['p_value']:.2g})"
            )
    if n:
        finding["verdict"] = verdict(good, n)
        finding["evidence"] = "; ".join(notes)
    return finding


def findings(runs: Runs) -> list[dict]:
    return [
        tasks_that_erode(runs),
        weakest_formats(runs),
        guards_lack_robustness(runs),
        all_formats_mix_helps(runs),
    ]
