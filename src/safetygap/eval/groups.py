"""Groups of eval runs: one model fine-tuned with several seeds (and perhaps from several aligned
bases), answered on the same bench items. A group's rate is the mean over its runs with the
seed-to-seed SD and an interval that counts both the runs and the items
(`stats.seed_rate`); two groups are compared paired by item, and by seed where both sides hold
the same seeds (`stats.seed_difference`). A group of one run falls back to the one-run
statistics: its Wilson interval, and the exact McNemar test between two single runs.

The unit of replication is the training run, or, where the runs come from two or more aligned
bases, the aligned base (its runs averaged first): runs of one base share it, so they are not
independent draws of the whole pipeline. docs/statistics.md states the assumptions.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from safetygap.errors import UserError
from safetygap.eval.compare import decided, load_run
from safetygap.stats import (
    mcnemar_exact,
    mde_mcnemar,
    mde_t,
    seed_difference,
    seed_rate,
)

# What a group's members must share to be one model (their seeds aside).
MODEL_LABELS = ("model", "task", "chat_format", "safety_mix", "mitigation", "system_prompt")


@dataclass
class Member:
    """One eval run of a group: its folder, items and judgments, and the seeds it came from."""

    folder: Path
    items: dict
    judgments: dict
    labels: dict

    @property
    def seed(self) -> tuple:
        """(alignment seed, training seed), None where there is none (a base has no training
        seed; a model not aligned by safetygap no alignment seed)."""
        return self.labels.get("align_seed"), self.labels.get("seed")


def align_seed_of(model: str | None) -> int | None:
    """The seed of the `align` run that made the model folder `model`, if it is one."""
    import json

    record = Path(str(model or ""), "align_settings.json")
    if not record.is_file():
        return None
    try:
        return json.loads(record.read_text(encoding="utf-8"))["settings"]["seed"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def member(folder: str | Path, labels: dict | None = None) -> Member:
    """An eval run folder as a group member; its labels (task, seed, safety mix, repair,
    alignment seed) read from the folders of its model and adapter unless given."""
    from safetygap.jsonl import read_json
    from safetygap.report.collect import model_labels, prompt_label

    folder = Path(folder)
    items, judgments = load_run(folder)
    if labels is None:
        m = read_json(folder / "metrics.json") if (folder / "metrics.json").is_file() else {}
        labels = model_labels(m.get("model"), m.get("adapter"))
        labels["system_prompt"] = prompt_label(m.get("system_prompt"))
        base_model = m.get("model")
        adapter_settings = Path(str(m.get("adapter") or ""), "settings.json")
        if adapter_settings.is_file():
            s = read_json(adapter_settings).get("settings", {})
            base_model = s.get("model", base_model)
        labels["align_seed"] = align_seed_of(base_model)
    return Member(folder, items, judgments, dict(labels))


def model_of(m: Member) -> tuple:
    return tuple(m.labels.get(k) for k in MODEL_LABELS)


def check_group(members: list[Member], side: str) -> None:
    """UserError unless the members are runs of one model with distinct seeds."""
    if not members:
        raise UserError(f"{side}: no eval runs given")
    models = {model_of(m) for m in members}
    if len(models) > 1:
        first, other = sorted(models, key=str)[:2]
        diff = [k for k, x, y in zip(MODEL_LABELS, first, other, strict=True) if x != y]
        raise UserError(
            f"{side}: the runs are of different models ({', '.join(diff)} differ); a group is "
            "one model trained with several seeds"
        )
    seen: dict[tuple, Path] = {}
    for m in members:
        if m.seed in seen and len(members) > 1:
            raise UserError(
                f"{side}: {seen[m.seed]} and {m.folder} are both of seed {seed_words(m.seed)}"
            )
        seen[m.seed] = m.folder


def seed_words(seed: tuple) -> str:
    a, s = seed
    parts = ([f"align {a}"] if a is not None else []) + ([f"train {s}"] if s is not None else [])
    return ", ".join(parts) or "none"


def shared_items(members: list[Member], harmful: bool = True) -> list[str]:
    """Ids of the harmful (or benign) items every member's judge decided, in bench order,
    where every member's bench gives the item the same prompt."""
    first = members[0]
    ids = None
    for m in members[1:] or members:
        got = decided(first.items, first.judgments, m.judgments, harmful)
        got = [i for i in got if i in m.items and m.items[i]["prompt"] == first.items[i]["prompt"]]
        ids = got if ids is None else [i for i in ids if i in set(got)]
    return ids or []


def table(members: list[Member], ids: list[str], what: str) -> np.ndarray:
    """Runs x items of 0/1: `asr` answered, `harm` helped, `over_refusal` refused."""

    def hit(j: dict) -> bool:
        if what == "asr":
            return j["verdict"] == "answered"
        if what == "harm":
            return j.get("level") == "helped"
        return j["verdict"] == "refused"

    return np.array([[hit(m.judgments[i]) for i in ids] for m in members], dtype=float)


def unit_of(members: list[Member]):
    """The unit of replication: the aligned base where the runs span two or more, else the
    run (its seed pair)."""
    aligned = {m.seed[0] for m in members if m.seed[0] is not None}
    if len(aligned) >= 2:
        return lambda m: (m.seed[0],)
    return lambda m: m.seed


def units(members: list[Member], ids: list[str], what: str, unit) -> tuple[list, np.ndarray]:
    """(unit keys, units x items): each unit's runs averaged."""
    y = table(members, ids, what)
    keys = sorted({unit(m) for m in members}, key=str)
    rows = [y[[k == unit(m) for m in members]].mean(axis=0) for k in keys]
    return keys, np.array(rows).reshape(len(keys), len(ids))


def group_rate(members: list[Member], ids: list[str], what: str = "asr") -> dict:
    """seed_rate of the group on `ids`, with `sd` the SD of its runs' rates (every run, not
    just every unit) and `n_seeds` its runs."""
    unit = unit_of(members)
    _, u = units(members, ids, what, unit)
    out = seed_rate(u)
    y = table(members, ids, what)
    out["n_seeds"] = len(members)
    out["sd"] = float(np.std(y.mean(axis=1), ddof=1)) if len(members) > 1 and ids else None
    return out


def difference(a: list[Member], b: list[Member], ids: list[str], what: str, alpha: float):
    """B - A on `ids`: {a, b, diff, ci_low, ci_high, p_value, test, mde, ...}."""
    unit = unit_of(a + b)
    ka, ua = units(a, ids, what, unit)
    kb, ub = units(b, ids, what, unit)
    ya, yb = table(a, ids, what), table(b, ids, what)
    out = {"n": len(ids), "n_seeds_a": len(a), "n_seeds_b": len(b)}
    out["a"], out["b"] = float(ya.mean()), float(yb.mean())
    if len(a) == 1 and len(b) == 1:
        only_a = int(np.sum((ya[0] == 1) & (yb[0] == 0)))
        only_b = int(np.sum((ya[0] == 0) & (yb[0] == 1)))
        d = seed_difference(ya, yb, paired=False)  # the interval; the test is McNemar's
        q = min(only_a, only_b) / len(ids)
        out.update(
            diff=d["diff"],
            ci_low=d["ci_low"],
            ci_high=d["ci_high"],
            p_value=mcnemar_exact(only_a, only_b),
            test="exact McNemar",
            only_a=only_a,
            only_b=only_b,
            mde=mde_mcnemar(len(ids), out["a"], q, alpha),
            var_runs=0.0,
            var_items=d["var_items"],
        )
        return out
    paired = ka == kb and len(ka) >= 2
    d = seed_difference(ua, ub, paired=paired)
    out.update(
        diff=d["diff"],
        ci_low=d["ci_low"],
        ci_high=d["ci_high"],
        p_value=d["p_value"],
        test="seed-aware t, paired by seed" if paired else "seed-aware t",
        only_a=None,
        only_b=None,
        mde=mde_t(d["var"], d["df"], alpha),
        var_runs=d["var_runs"],
        var_items=d["var_items"],
        n_units=(len(ka), len(kb)),
    )
    return out


def check_sides(a: list[Member], b: list[Member]) -> None:
    """UserError for a comparison that cannot be made: a side of one fine-tuned run against a
    side of several seeds (the single run's own seed spread is unknown; a base is fixed, so it
    may stand alone)."""
    check_group(a, "A")
    check_group(b, "B")
    for one, many, name in ((a, b, "A"), (b, a, "B")):
        if len(one) == 1 and len(many) > 1 and one[0].labels.get("model") != "base":
            raise UserError(
                f"{name} is one run of a fine-tune, the other side {len(many)} seeds: give the "
                f"seeds of {name} too (one run says nothing of its seed spread), or compare "
                "with the base"
            )


def compare_groups(a: list[Member], b: list[Member], alpha: float = 0.05) -> list[dict]:
    """Rows, overall first then by format, of B - A in ASR on the harmful items every run of
    both sides decided: each {group, n, a, b, diff, ci_low, ci_high, p_value, test, mde, ...}
    and `harm` (the same for harm ASR, where every judge gives a level; else None)."""
    check_sides(a, b)
    ids = shared_items(a + b)
    if not ids:
        raise UserError(
            f"{a[0].folder} and {b[0].folder} share no judged harmful items: a comparison "
            "needs the same bench"
        )
    every = a + b
    levels = all(m.judgments[i].get("level") for m in every for i in ids)
    groups: dict[str, list[str]] = {"overall": ids}
    for i in ids:
        groups.setdefault(a[0].items[i]["format"], []).append(i)
    rows = []
    for name in ["overall", *sorted(g for g in groups if g != "overall")]:
        g = groups[name]
        row = {"group": name, **difference(a, b, g, "asr", alpha)}
        row["harm"] = difference(a, b, g, "harm", alpha) if levels else None
        rows.append(row)
    return rows


def over_refusal_groups(a: list[Member], b: list[Member], alpha: float = 0.05) -> dict | None:
    """B - A in over-refusal on the benign look-alikes every run decided (None: there are
    none)."""
    ids = shared_items(a + b, harmful=False)
    return difference(a, b, ids, "over_refusal", alpha) if ids else None
