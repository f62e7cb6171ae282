"""The paper's four findings (Jan et al. 2024) set beside what these runs show.

Each finding is checked on the runs at hand, with the evidence and a verdict: `reproduced`,
`partly`, `not reproduced`, `inconclusive` when the runs hold what it needs but too few items or
seeds to tell (the evidence then says what could have been detected), or `not measured` when
the runs lack what it needs (for example no guard runs, or fewer than three tasks). A verdict
is one the data could have contradicted: "not reproduced" needs a significant difference the
other way, or an interval that rules the claimed effect out. Where models have several
training seeds every test is the seed-aware one (`report.seeds`).
"""

from safetygap.report.collect import FORMATS, Run, Runs
from safetygap.report.plots import calibration_name, calibrations, distinct_guards, is_plain

ALPHA = 0.05
MEANINGFUL = 0.05  # a change smaller than 5 points is taken as no change
GUARD_LOSS = 0.2  # a guard that could have shown a 20-point recall loss and did not is robust


def is_base(run: Run) -> bool:
    return run.labels.get("model") == "base"


def is_plain_finetune(run: Run) -> bool:
    return run.labels.get("model") == "finetune" and is_plain(run)


def main_calibration(runs: Runs) -> tuple[tuple | None, dict[str, Run]]:
    """(key, rows) of the calibration the findings read: the paper's (native template, no
    system prompt) where there is one, on the items with a base and the most plain fine-tunes
    (then the most items); every run in it answered the same items."""
    cals = calibrations(runs)
    if not cals:
        return None, {}

    def rank(key):
        rows = cals[key].values()
        return (
            key[:2] == ("native", "off"),
            any(map(is_base, rows)),
            sum(map(is_plain_finetune, rows)),
            max(r.data["asr"]["overall"]["n"] for r in rows),
        )

    key = max(cals, key=rank)  # the first of equals
    return key, cals[key]


def left_out(runs: Runs) -> list[str]:
    """What the findings and paired comparisons leave out, in words: evals on other items
    than the findings' calibration, fine-tunes with no base evaluated on their items."""
    key, rows = main_calibration(runs)
    if key is None:
        return []
    notes = []
    cals = calibrations(runs)
    chosen = set(map(id, rows.values()))
    where = calibration_name(key, runs)
    for k, group in cals.items():
        names = [n for n, r in group.items() if id(r) not in chosen]
        if k[1] == key[1] and k[2] != key[2] and names:
            desc = next(iter(group.values())).items_desc
            notes.append(
                f"Evaluated on other items ({desc}) than the findings' calibration ({where}), so "
                f"compared with none of its runs and left out of the findings: {', '.join(names)}."
            )
        if not any(map(is_base, group.values())) and k[0] != "-":
            notes.append(
                f"No base was evaluated on the items of {calibration_name(k, runs)} with that "
                f"system prompt: {', '.join(group)} compared with no base."
            )
    bases = [n for n, r in rows.items() if is_base(r)]
    if len(bases) > 1:
        notes.append(f"Several base evals in {where}: the findings compare with {bases[0]}.")
    return notes


def verdict_of(hits: int, misses: int, needed: int) -> str:
    """From the parts of a claim the data confirm (hits) and contradict (misses): reproduced
    (all confirmed), not reproduced (all contradicted), partly (some confirmed, the rest
    contradicted or undecided), or inconclusive (none confirmed, not all contradicted)."""
    if hits == needed:
        return "reproduced"
    if misses == needed:
        return "not reproduced"
    return "partly" if hits else "inconclusive"


def rise_words(c: dict) -> str:
    """`+12.0 pt (p=0.003)`, with what the data could detect where it found nothing."""
    text = f"{100 * c['diff']:+.1f} pt (p={c['p_value']:.2g})"
    if c["p_value"] >= ALPHA:
        mde = c.get("mde")
        text += " [could detect " + ("no rise" if mde is None else f"+{100 * mde:.0f} pt") + "]"
    return text


def tasks_that_erode(runs: Runs) -> dict:
    from safetygap.report.seeds import compare_models

    key, rows = main_calibration(runs)
    base = next((r for r in rows.values() if is_base(r)), None)
    fts = {name: r for name, r in rows.items() if is_plain_finetune(r)}
    finding = {
        "paper": "Code and translation fine-tuning degrade safety the most.",
        "verdict": "not measured",
        "evidence": "needs the base and at least three fine-tuned tasks evaluated on the same "
        "items in one calibration",
    }
    tasks = {r.labels.get("task") for r in fts.values()}
    if base is None or len(tasks) < 3:
        return finding
    rise = {}
    for name, r in fts.items():
        c = compare_models(base, r)
        if c is not None:
            rise[name] = c[0]
    ranked = sorted(rise, key=lambda t: -rise[t]["diff"])
    claimed = {"code", "translation"}
    top = set(ranked[:2])
    hits, misses, notes = 0, 0, []
    for task in sorted(claimed):
        name = next((n for n in ranked if fts[n].labels.get("task") == task), None)
        if name is None:
            notes.append(f"{task}: not fine-tuned here")
            continue
        higher = []
        for other in ranked:
            if fts[other].labels.get("task") in claimed:
                continue
            c = compare_models(fts[name], fts[other])
            if c and c[0]["diff"] > 0 and c[0]["p_value"] < ALPHA:
                higher.append(
                    f"{other} higher by {100 * c[0]['diff']:.1f} pt (p={c[0]['p_value']:.2g})"
                )
        r = rise[name]
        if higher:
            misses += 1
            notes.append(f"{task}: " + "; ".join(higher))
        elif r["diff"] > 0 and r["p_value"] < ALPHA and name in top:
            hits += 1
            notes.append(f"{task}: among the two largest rises, none significantly larger")
        else:
            notes.append(f"{task}: undecided (no task significantly above it)")
    finding["verdict"] = verdict_of(hits, misses, 2)
    finding["evidence"] = (
        f"ASR rise against {base_label(rows, base)} ({calibration_name(key, runs)}): "
        + ", ".join(f"{t} {rise_words(rise[t])}" for t in ranked)
        + ". "
        + "; ".join(notes)
    )
    return finding


def base_label(rows: dict[str, Run], base: Run) -> str:
    return next(name for name, r in rows.items() if r is base)


def weakest_formats(runs: Runs) -> dict:
    """Mean ASR per format over the plain fine-tunes (every seed run of each, pooled as runs),
    with seed-aware intervals: a claimed format is in the weakest two when its interval lies
    above those of the formats outside the top two, out of it when its interval lies below the
    second-highest's, undecided otherwise (formats tied, or too few items)."""
    from safetygap.eval.groups import Member, group_rate, shared_items
    from safetygap.report.seeds import member_of, members

    key, rows = main_calibration(runs)
    fts = [r for r in rows.values() if is_plain_finetune(r)]
    finding = {
        "paper": "Translation and classification are the weakest formats (73-92% answered).",
        "verdict": "not measured",
        "evidence": "needs at least one fine-tune evaluated in every format",
    }
    if not fts:
        return finding
    pool = [  # pooled as the runs of one model, each its own unit
        Member(m.folder, m.items, m.judgments, {**m.labels, "seed": i, "align_seed": None})
        for i, m in enumerate(member_of(x) for r in fts for x in members(r))
    ]
    ids = shared_items(pool)
    stats = {}
    for f in FORMATS:
        got = [i for i in ids if pool[0].items[i]["format"] == f]
        if got:
            stats[f] = group_rate(pool, got)
    ranked = sorted(stats, key=lambda f: -stats[f]["value"])
    if len(ranked) < 3:
        return finding
    second = stats[ranked[1]]
    hits = misses = 0
    notes = []
    for f in ("translation", "classification"):
        if f not in stats:
            notes.append(f"{f}: not in the bench")
            continue
        rest = [g for g in ranked[2:] if g != f] if f in ranked[:2] else []
        if f in ranked[:2] and all(stats[f]["ci_low"] > stats[g]["ci_high"] for g in rest):
            hits += 1
            notes.append(f"{f}: in the weakest two, above the others")
        elif stats[f]["ci_high"] < second["ci_low"]:
            misses += 1
            notes.append(f"{f}: below the second weakest ({ranked[1]})")
        else:
            notes.append(f"{f}: undecided (intervals overlap)")
    finding["verdict"] = verdict_of(hits, misses, 2)
    finding["evidence"] = (
        f"mean ASR over {len(fts)} fine-tune(s), {len(pool)} run(s) "
        f"({calibration_name(key, runs)}): "
        + ", ".join(
            f"{f} {100 * stats[f]['value']:.0f}% ({100 * stats[f]['ci_low']:.0f}-"
            f"{100 * stats[f]['ci_high']:.0f})"
            for f in ranked
        )
        + ". "
        + "; ".join(notes)
    )
    return finding


def guards_lack_robustness(runs: Runs) -> dict:
    from safetygap.stats import mde_mcnemar

    finding = {
        "paper": "Guards lack cross-task robustness: task-format prompts slip past them.",
        "verdict": "not measured",
        "evidence": "needs a guard run (`guards` in the sweep, or `safetygap guard`)",
    }
    guards = [g for g in distinct_guards(runs) if g.data["mode"] == "input"]
    if not guards:
        return finding
    weak = robust = 0
    notes = []
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
        if lost or flagged:
            weak += 1
            notes.append(f"{g.data['guard']}: " + "; ".join(lost + flagged))
            continue
        # nothing found: robust only if a loss of recall worth naming could have been found
        mdes = []
        for c in g.data["cross_format"].values():
            n = (c.get("recall") or {}).get("n")
            if not n or "plain_recall" not in c:
                mdes.append(None)  # a record without counts: its power is unknown
                continue
            q = min(c.get("lost", 0), c.get("gained", 0)) / n
            mdes.append(mde_mcnemar(n, 1 - c["plain_recall"]["value"], q))
        worst = None if not mdes or None in mdes else max(mdes)
        name = g.data["guard"]
        if worst is not None and worst <= GUARD_LOSS:
            robust += 1
            notes.append(
                f"{name}: no format differs from plain (a recall loss of {100 * worst:.0f} pt "
                "could have been detected)"
            )
        else:
            could = "no loss at all" if worst is None else f"only a loss of {100 * worst:.0f} pt"
            notes.append(
                f"{name}: no format differs from plain, but the items could detect {could}"
            )
    finding["verdict"] = verdict_of(weak, robust, len(guards))
    finding["evidence"] = " | ".join(notes)
    return finding


def all_format_mix_helps(runs: Runs) -> dict:
    from safetygap.report.repairs import repair_map, significant

    finding = {
        "paper": "A safety mix in every format (their multitask safety data) lowers ASR across "
        "tasks without hurting helpfulness.",
        "verdict": "not measured",
        "evidence": "needs fine-tunes with and without an all-formats safety mix, with helpfulness",
    }
    good, bad, notes, n = 0, 0, [], 0
    for group, pts in repair_map(runs).items():
        for p in pts:
            if p["kind"] != "all-formats" or not p.get("versus"):
                continue
            n += 1
            a, s = p["versus"]["asr"]["overall"], p["versus"]["skill"]
            if significant(a, -1) and not significant(s, -1):
                good += 1
            elif significant(s, -1) or significant(a, 1) or a.get("ci_low", -1) > -MEANINGFUL:
                bad += 1  # it hurt the skill, raised ASR, or its interval rules out a real cut
            notes.append(
                f"{group} {p['name']}: ASR {100 * a['diff']:+.1f} pt (p={a['p']:.2g}), "
                f"{p['metric']} {s['diff']:+.1f} (p={s['p']:.2g})"
            )
    if n:
        finding["verdict"] = verdict_of(good, bad, n)
        finding["evidence"] = "; ".join(notes)
    return finding


def findings(runs: Runs) -> list[dict]:
    return [
        tasks_that_erode(runs),
        weakest_formats(runs),
        guards_lack_robustness(runs),
        all_format_mix_helps(runs),
    ]
