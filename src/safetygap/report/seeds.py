"""Training seeds in the report: the runs of one model over its seeds (and aligned bases) become
one row, its rates the mean over the runs with the seed-to-seed SD and an interval that counts
both the runs and the bench items (`eval.groups`), and every comparison between two models is
the seed-aware one. A model with one run keeps its own record and its one-run statistics.
"""

import math

import numpy as np

from safetygap.eval.groups import (
    Member,
    compare_groups,
    group_rate,
    over_refusal_groups,
    shared_items,
)
from safetygap.report.collect import Run

_MEMBERS: dict[str, Member] = {}


def members(run: Run) -> list[Run]:
    """The seed runs behind a row: its members, or the run itself."""
    return run.members or [run]


def member_of(run: Run) -> Member:
    """The run as an `eval.groups.Member` (read once per folder)."""
    from safetygap.eval.compare import load_run

    stat = (run.folder / "judgments.jsonl").stat()
    key = f"{run.folder.resolve()}:{stat.st_mtime_ns}:{stat.st_size}"
    if key not in _MEMBERS:
        items, judgments = load_run(run.folder)
        _MEMBERS[key] = Member(run.folder, items, judgments, dict(run.labels))
    m = _MEMBERS[key]
    m.labels = dict(run.labels)
    return m


def seed_of(run: Run) -> tuple:
    return run.labels.get("align_seed"), run.labels.get("seed")


def by_seeds(group: list[Run]) -> list[list[Run]]:
    """The runs of one model as the parts shown: all of them together where each seed is there
    once, else each run alone (two runs of one seed are never merged)."""
    return [group] if len({seed_of(r) for r in group}) == len(group) else [[r] for r in group]


def rates(group: list[Member], harmful_ids: list[str], benign_ids: list[str], levels: bool):
    """A metrics.json-shaped record of a group: asr (overall, by_format), harm_asr where every
    judge gives levels, over_refusal; each rate with sd and n_seeds."""
    fmt = {}
    for i in harmful_ids:
        fmt.setdefault(group[0].items[i]["format"], []).append(i)

    def block(what, ids_all, by):
        return {
            "overall": group_rate(group, ids_all, what),
            "by_format": {f: group_rate(group, ids, what) for f, ids in sorted(by.items())},
        }

    out = {"asr": block("asr", harmful_ids, fmt)}
    if levels:
        out["harm_asr"] = block("harm", harmful_ids, fmt)
    out["over_refusal"] = {"overall": group_rate(group, benign_ids, "over_refusal")}
    return out


def aggregate(group: list[Run]) -> Run:
    """One row for the runs of one model over its seeds: a Run whose data has the shape of a
    metrics.json (so that tables and plots read it alike) with seed-aware rates, whose
    `members` are the runs. A group of one run is that run."""
    if len(group) == 1:
        return group[0]
    ms = [member_of(r) for r in group]
    harmful = shared_items(ms)
    benign = shared_items(ms, harmful=False)
    levels = all("harm_asr" in r.data for r in group)
    data = {**group[0].data, **rates(ms, harmful, benign, levels)}
    if not levels:
        data.pop("harm_asr", None)
    first = group[0]
    labels = {k: v for k, v in first.labels.items() if k not in ("seed", "align_seed")}
    run = Run(first.kind, first.name, labels, first.folder, data, first.eval_name, first.items)
    run.items_desc, run.members = first.items_desc, list(group)
    return run


def comparable(a: Run, b: Run) -> tuple[list[Run], list[Run]] | None:
    """The members of A and B to compare: both fine-tunes with other seed sets are cut to the
    seeds they share (so that a repair run for seed 0 only meets seed 0 of its fine-tune);
    None where they share none and one side has a single run."""
    ra, rb = members(a), members(b)
    if "base" in (a.labels.get("model"), b.labels.get("model")):
        if a.labels.get("model") == "base" and len(ra) > 1:
            # several aligned bases: each fine-tune meets its own (units are aligned bases)
            wanted = {seed_of(r)[0] for r in rb}
            ra = [r for r in ra if seed_of(r)[0] in wanted] or ra
        return ra, rb
    sa, sb = {seed_of(r) for r in ra}, {seed_of(r) for r in rb}
    if sa != sb:
        common = sa & sb
        if common:
            ra = [r for r in ra if seed_of(r) in common]
            rb = [r for r in rb if seed_of(r) in common]
        elif len(ra) == 1 or len(rb) == 1:
            return None
    return ra, rb


def compare_models(a: Run, b: Run, alpha: float = 0.05) -> list[dict] | None:
    """B - A in ASR, overall then by format (`eval.groups.compare_groups` rows), on the
    members `comparable` keeps; None where they cannot be compared."""
    pair = comparable(a, b)
    if pair is None:
        return None
    ma, mb = [member_of(r) for r in pair[0]], [member_of(r) for r in pair[1]]
    if len(ma) == 1 and len(mb) > 1:
        ma[0].labels["model"] = "base"  # the reference, held fixed
    return compare_groups(ma, mb, alpha)


def over_refusal_models(a: Run, b: Run, alpha: float = 0.05) -> dict | None:
    pair = comparable(a, b)
    if pair is None:
        return None
    return over_refusal_groups([member_of(r) for r in pair[0]], [member_of(r) for r in pair[1]])


def skill(helps: list[Run], metric: str) -> dict:
    """A skill metric over the seed runs of one model: the mean of the runs' values, their SD,
    and an interval that adds the seed spread (t on R - 1 df) to the runs' mean item-sampling
    variance (from their own intervals; items are shared, so it does not shrink with more
    runs). One run: its own value and interval."""
    from scipy.stats import norm, t

    vals = [h.data["metrics"][metric] for h in helps]
    if len(vals) == 1:
        return {**vals[0], "sd": None, "n_seeds": 1}
    x = np.array([v["value"] for v in vals], dtype=float)
    z = norm.ppf(0.975)
    item_var = np.mean([((v["ci_high"] - v["ci_low"]) / (2 * z)) ** 2 for v in vals])
    sd = float(np.std(x, ddof=1))
    half = math.sqrt((t.ppf(0.975, len(x) - 1) * sd / math.sqrt(len(x))) ** 2 + z * z * item_var)
    lo, hi = float(x.mean()) - half, float(x.mean()) + half
    if vals[0].get("scale") == "0-1":
        lo, hi = max(0.0, lo), min(1.0, hi)
    return {
        **vals[0],
        "value": float(x.mean()),
        "ci_low": lo,
        "ci_high": hi,
        "sd": sd,
        "n_seeds": len(x),
    }


def skill_difference(none: list[Run], point: list[Run], metric: str) -> dict:
    """B - A in a skill metric, paired by seed where both sides hold the same seeds (each
    seed's paired helpfulness comparison, then a t test over seeds with the seeds' mean item
    variance added), else the one-run comparison of `safetygap compare`. {diff, p, ci_low,
    ci_high} in the metric's own units."""
    from scipy.stats import norm, t

    from safetygap.helpfulness.compare import compare as compare_skill

    by_seed_a = {seed_of(h): h for h in none}
    by_seed_b = {seed_of(h): h for h in point}
    common = sorted(set(by_seed_a) & set(by_seed_b), key=str)
    if not common:
        common = [None]
        pairs = [(none[0], point[0])]
    else:
        pairs = [(by_seed_a[s], by_seed_b[s]) for s in common]
    rows = [
        next(r for r in compare_skill(a.folder, b.folder) if r["metric"] == metric)
        for a, b in pairs
    ]
    if len(rows) == 1:
        r = rows[0]
        return {
            "diff": r["diff"],
            "p": r["p_value"],
            "ci_low": r["ci_low"],
            "ci_high": r["ci_high"],
        }
    d = np.array([r["diff"] for r in rows], dtype=float)
    z = norm.ppf(0.975)
    item_var = []
    for r in rows:
        if r["ci_low"] is not None:
            item_var.append(((r["ci_high"] - r["ci_low"]) / (2 * z)) ** 2)
        else:  # McNemar rows: the variance of a paired difference of proportions
            n = r["n"]
            item_var.append(((r["only_a"] + r["only_b"]) / n - r["diff"] ** 2) / n)
    var = float(np.var(d, ddof=1)) / len(d) + float(np.mean(item_var))
    df = len(d) - 1
    mean = float(d.mean())
    p = 1.0 if var <= 0 else float(2 * t.sf(abs(mean) / math.sqrt(var), df))
    half = float(t.ppf(0.975, df)) * math.sqrt(max(var, 0.0))
    return {"diff": mean, "p": min(1.0, p), "ci_low": mean - half, "ci_high": mean + half}
