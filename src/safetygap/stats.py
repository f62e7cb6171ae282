"""Honest statistics, from the libraries reviewers trust: Wilson intervals for rates and exact
McNemar tests for paired runs (scipy.stats.binomtest), Cohen's kappa (scikit-learn), and
bootstrap intervals (scipy.stats.bootstrap). Eval, compare and judge agreement take their
intervals and tests from here."""

import math

import numpy as np

CONFIDENCE = 0.95


def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for k successes out of n (0, 1 when n = 0)."""
    from scipy.stats import binomtest

    if n == 0:
        return 0.0, 1.0
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return max(0.0, float(ci.low)), min(1.0, float(ci.high))


def rate(k: int, n: int) -> dict:
    """{value, ci_low, ci_high, n}: the shape every rate in metrics files has."""
    lo, hi = wilson(k, n)
    return {"value": k / n if n else None, "ci_low": lo, "ci_high": hi, "n": n}


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts b and c: a binomial test of
    b successes in b + c trials at p = 1/2."""
    from scipy.stats import binomtest

    if b + c == 0:
        return 1.0
    return min(1.0, float(binomtest(b, b + c, 0.5, alternative="two-sided").pvalue))


def cohen_kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa between two label sequences of equal length (nan when empty; 1 when both
    raters give one and the same label throughout)."""
    from sklearn.metrics import cohen_kappa_score

    if len(a) != len(b):
        raise ValueError("label sequences differ in length")
    if not a:
        return float("nan")
    if len(set(a) | set(b)) == 1:
        return 1.0  # perfect agreement on one label: sklearn's formula is 0/0 here
    return float(cohen_kappa_score(a, b))


def bootstrap_ci(
    values, statistic=np.mean, confidence: float = CONFIDENCE, n_resamples: int = 2000, seed=0
) -> tuple[float, float]:
    """BCa bootstrap interval of `statistic` over per-item values, seeded (a constant sample
    gives a zero-width interval)."""
    from scipy.stats import bootstrap

    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return math.nan, math.nan
    if np.all(values == values[0]):
        return float(values[0]), float(values[0])
    res = bootstrap(
        (values,),
        statistic,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="BCa",
        random_state=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _resample_counts(n: int, n_resamples: int, seed) -> np.ndarray:
    """(n_resamples, n) counts: how often each item appears in each bootstrap resample."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_resamples)


def bootstrap_corpus(
    stats, aggregate, confidence: float = CONFIDENCE, n_resamples: int = 2000, seed=0
) -> tuple[float, float, float]:
    """(value, low, high) of a corpus metric: `stats` holds one vector of sufficient statistics
    per item (rows), `aggregate` maps their column sums to the metric. Percentile bootstrap over
    items (the resampling sacrebleu's own intervals and paired tests use)."""
    stats = np.asarray(stats, dtype=float)
    if stats.ndim == 1:
        stats = stats[:, None]
    value = float(aggregate(stats.sum(axis=0)))
    if len(stats) < 2:
        return value, math.nan, math.nan
    sums = _resample_counts(len(stats), n_resamples, seed) @ stats
    scores = np.array([aggregate(s) for s in sums])
    tail = 100 * (1 - confidence) / 2
    return value, float(np.percentile(scores, tail)), float(np.percentile(scores, 100 - tail))


def paired_bootstrap(
    stats_a, stats_b, aggregate, confidence: float = CONFIDENCE, n_resamples: int = 2000, seed=0
) -> dict:
    """Paired bootstrap of a corpus metric's difference B - A on the same items (Koehn 2004):
    both systems resampled with the same items. Returns both values, the difference, its interval
    and a two-sided p-value: twice the share of resamples on the far side of zero, counted as
    (k + 1) / (B + 1) so that it is never 0 (at least 2 / (B + 1))."""
    a = np.asarray(stats_a, dtype=float).reshape(len(stats_a), -1)
    b = np.asarray(stats_b, dtype=float).reshape(len(stats_b), -1)
    if a.shape != b.shape:
        raise ValueError("paired statistics differ in shape")
    value_a, value_b = float(aggregate(a.sum(axis=0))), float(aggregate(b.sum(axis=0)))
    diff = value_b - value_a
    counts = _resample_counts(len(a), n_resamples, seed)
    deltas = np.array(
        [aggregate(sb) - aggregate(sa) for sa, sb in zip(counts @ a, counts @ b, strict=True)]
    )
    tail = 100 * (1 - confidence) / 2
    if diff == 0:
        far = 1.0
    else:
        k = np.sum(deltas <= 0) if diff > 0 else np.sum(deltas >= 0)
        far = (k + 1) / (n_resamples + 1)
    return {
        "a": value_a,
        "b": value_b,
        "diff": diff,
        "ci_low": float(np.percentile(deltas, tail)),
        "ci_high": float(np.percentile(deltas, 100 - tail)),
        "p_value": float(min(1.0, 2 * far)),
    }


# Training seeds. A model trained with several seeds and evaluated on the same bench items is a
# runs x items table of 0/1 outcomes: a crossed design (every run answers every item). Its mean
# varies with the runs drawn (seed-to-seed spread) and with the items drawn (bench sampling);
# its variance is estimated from the two-way ANOVA mean squares (method of moments, a negative
# item component set to 0, as in Searle, Casella & McCulloch, "Variance Components", 1992, ch. 4;
# Clark 1973 for why items must count as random too) and the interval is a t interval with
# Satterthwaite's (1946) degrees of freedom. Where the runs come from several aligned bases,
# each base's runs are averaged first, so that the unit of replication is the base (a nested
# design); see docs/statistics.md for the assumptions and a coverage check.


def _mean_squares(y: np.ndarray) -> tuple[float, float, float]:
    """(MS between runs, MS between items, residual MS) of a runs x items table, R, N >= 2."""
    r, n = y.shape
    grand = y.mean()
    rows, cols = y.mean(axis=1), y.mean(axis=0)
    resid = y - rows[:, None] - cols[None, :] + grand
    ms_run = n * float(np.sum((rows - grand) ** 2)) / (r - 1)
    ms_item = r * float(np.sum((cols - grand) ** 2)) / (n - 1)
    ms_res = float(np.sum(resid**2)) / ((r - 1) * (n - 1))
    return ms_run, ms_item, ms_res


def satterthwaite(terms: list[tuple[float, float, float]]) -> float:
    """Degrees of freedom of sum(coef * ms) from (coef, ms, df) terms (inf when it is 0)."""
    v = sum(c * ms for c, ms, _ in terms)
    denom = sum((c * ms) ** 2 / df for c, ms, df in terms if df > 0 and c != 0)
    return math.inf if denom == 0 else max(1.0, v * v / denom)


def crossed(y) -> dict:
    """Mean of a runs x items table (R >= 2 runs) and the variance of that mean over both runs
    and items: {mean, var, df, var_runs, var_items, n_runs, n_items}. `var_runs` is the part
    that shrinks with more runs (sigma_run^2 / R), `var_items` the part that shrinks with more
    items (item and residual variance over N)."""
    y = np.asarray(y, dtype=float)
    r, n = y.shape
    if r < 2:
        raise ValueError("crossed: needs at least two runs")
    if n < 2:
        rows = y[:, 0]
        var = float(np.var(rows, ddof=1)) / r
        return {
            "mean": float(rows.mean()),
            "var": var,
            "df": r - 1.0,
            "var_runs": var,
            "var_items": 0.0,
            "n_runs": r,
            "n_items": n,
        }
    ms_run, ms_item, ms_res = _mean_squares(y)
    k = 1.0 / (r * n)
    # The run term is kept even when its component comes out negative (the unbiased
    # estimator; dropping it made intervals too short with 2-3 runs); the item term is dropped
    # then, as the method of moments does.
    a = k
    b = k if ms_item > ms_res else 0.0
    c = k - a - b
    terms = [(a, ms_run, r - 1), (b, ms_item, n - 1), (c, ms_res, (r - 1) * (n - 1))]
    var = max(0.0, sum(coef * ms for coef, ms, _ in terms))
    var_runs = k * (ms_run - ms_res)
    return {
        "mean": float(y.mean()),
        "var": var,
        "df": satterthwaite(terms),
        "var_runs": max(0.0, var_runs),
        "var_items": max(0.0, var - var_runs),
        "n_runs": r,
        "n_items": n,
    }


def t_interval(mean: float, var: float, df: float, confidence: float = CONFIDENCE):
    from scipy.stats import t

    half = float(t.ppf(0.5 + confidence / 2, df)) * math.sqrt(var) if var > 0 else 0.0
    return mean - half, mean + half


def seed_rate(y, confidence: float = CONFIDENCE) -> dict:
    """A rate over several runs of one model on the same items (runs x items of 0/1): the mean,
    the seed-to-seed SD of the runs' rates, and a 95% interval counting both (`crossed`),
    never narrower than the Wilson interval of the mean rate on the items alone. One run: its
    Wilson interval, `sd` None."""
    y = np.asarray(y, dtype=float)
    r, n = y.shape
    mean = float(y.mean()) if y.size else None
    k = round(mean * n) if y.size else 0
    w_lo, w_hi = wilson(k, n, confidence)
    out = {"value": mean, "ci_low": w_lo, "ci_high": w_hi, "n": n, "n_seeds": r, "sd": None}
    if r < 2 or n == 0:
        return out
    c = crossed(y)
    lo, hi = t_interval(c["mean"], c["var"], c["df"], confidence)
    out.update(
        ci_low=max(0.0, min(lo, w_lo)),
        ci_high=min(1.0, max(hi, w_hi)),
        sd=float(np.std(y.mean(axis=1), ddof=1)),
        df=c["df"],
        var_runs=c["var_runs"],
        var_items=c["var_items"],
    )
    return out


def seed_difference(ya, yb, paired: bool, confidence: float = CONFIDENCE) -> dict:
    """B - A of two models' rates over their runs on the same items (each runs x items, the
    items in one order), with its variance over runs and items, a t interval and a two-sided
    p-value. `paired`: run k of A goes with run k of B (same seed), and the table of
    differences is analysed as one crossed design; else each side's seed spread is added to
    the item-level variance of the differences (a side of one run is held fixed)."""
    from scipy.stats import t

    ya, yb = np.asarray(ya, dtype=float), np.asarray(yb, dtype=float)
    if ya.shape[1] != yb.shape[1]:
        raise ValueError("seed_difference: the two sides differ in items")
    n = ya.shape[1]
    if paired:
        if ya.shape != yb.shape:
            raise ValueError("seed_difference: paired sides differ in runs")
        c = crossed(yb - ya)
        diff, var, df, var_runs = c["mean"], c["var"], c["df"], c["var_runs"]
    else:
        delta = yb.mean(axis=0) - ya.mean(axis=0)
        diff = float(delta.mean())
        var_items = float(np.var(delta, ddof=1)) / n if n > 1 else 0.0
        terms = [(1.0 / n, float(np.var(delta, ddof=1)) if n > 1 else 0.0, n - 1)]
        var_runs = 0.0
        for y in (ya, yb):
            r = y.shape[0]
            if r < 2 or n < 2:
                continue
            ms_run, _, ms_res = _mean_squares(y)
            if ms_run > ms_res:
                var_runs += (ms_run - ms_res) / (n * r)
                terms += [(1 / (n * r), ms_run, r - 1), (-1 / (n * r), ms_res, (r - 1) * (n - 1))]
        var = var_items + var_runs
        df = satterthwaite(terms)
    lo, hi = t_interval(diff, var, df, confidence)
    if var > 0:
        p = float(2 * t.sf(abs(diff) / math.sqrt(var), df))
    else:
        p = 1.0 if diff == 0 else 0.0
    return {
        "diff": diff,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": min(1.0, p),
        "var": var,
        "df": df,
        "var_runs": var_runs,
        "var_items": max(0.0, var - var_runs),
        "paired_by_seed": paired,
    }


# Power. A verdict of "no rise" means something only when the data could have shown one: the
# minimum detectable effect (MDE) is the smallest true change the test finds with probability
# POWER at level alpha.

POWER = 0.8


def mcnemar_power(n: int, q: float, delta: float, alpha: float = 0.05) -> float:
    """Power of the two-sided exact McNemar test on n paired items to find a rise `delta`,
    when a share q of items flips against it (answered -> refused) and q + delta flips with it:
    the discordant count M ~ Bin(n, 2q + delta), the rises B | M ~ Bin(M, (q + delta) / M's
    rate), and the test rejects when B reaches the binomial critical value for M."""
    from scipy.stats import binom

    p_disc = min(1.0, 2 * q + delta)
    if n <= 0 or p_disc <= 0:
        return 0.0
    m = np.arange(n + 1)
    crit = mcnemar_critical(m, alpha)
    share = (q + delta) / p_disc
    reach = binom.sf(crit - 1, m, share)
    return float(np.sum(binom.pmf(m, n, p_disc) * reach))


def mcnemar_critical(m: np.ndarray, alpha: float) -> np.ndarray:
    """Per discordant count m, the smallest count b > m / 2 of one direction at which the
    two-sided exact McNemar p-value, 2 P(Bin(m, 1/2) >= b), is below alpha (m + 1: none)."""
    from scipy.stats import binom

    crit = np.nan_to_num(binom.isf(alpha / 2, m, 0.5), nan=0).astype(int) + 1
    for _ in range(3):  # isf is the boundary to within one; settle it exactly
        crit = np.where(binom.sf(crit - 1, m, 0.5) >= alpha / 2, crit + 1, crit)
        crit = np.where(binom.sf(crit - 2, m, 0.5) < alpha / 2, crit - 1, crit)
    crit = np.maximum(crit, m // 2 + 1)
    return np.where(crit > m, m + 1, crit)


def mde_mcnemar(n: int, base: float, q: float, alpha: float = 0.05, power: float = POWER):
    """The smallest rise (a share, to 0.001) the exact McNemar test on n items finds with
    `power`, from a base rate `base` with a share q of items flipping back; None when even the
    largest possible rise (to 100%) is not found that often (a format at its ceiling)."""
    q = min(max(q, 0.0), base)
    top = 1.0 - base - q
    if n <= 0 or top <= 0 or mcnemar_power(n, q, top, alpha) < power:
        return None
    lo, hi = 0.0, top
    while hi - lo > 0.0005:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if mcnemar_power(n, q, mid, alpha) >= power else (mid, hi)
    return hi


def items_needed(
    n: int,
    base: float,
    q: float,
    rise: float,
    alpha: float = 0.05,
    power: float = POWER,
    most: int = 100_000,
) -> int | None:
    """The fewest items at which `mde_mcnemar` is at most `rise` (None: not below `most`)."""

    def enough(k: int) -> bool:
        m = mde_mcnemar(k, base, q, alpha, power)
        return m is not None and m <= rise

    if rise <= 0:
        return None
    lo, hi = max(1, n), max(2, n)
    while not enough(hi):
        if hi >= most:
            return None
        lo, hi = hi, min(most, hi * 2)
    while hi - lo > max(1, lo // 100):
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    return hi


def mde_t(var: float, df: float, alpha: float = 0.05, power: float = POWER) -> float:
    """The smallest true difference a two-sided t test of standard error sqrt(var) on df
    degrees of freedom finds with `power` (normal-shift approximation)."""
    from scipy.stats import t

    return float((t.ppf(1 - alpha / 2, df) + t.ppf(power, df)) * math.sqrt(max(var, 0.0)))


def seeds_and_items_needed(
    var_runs: float,
    var_items: float,
    n_runs: int,
    n_items: int,
    target: float,
    alpha: float = 0.05,
    power: float = POWER,
) -> dict:
    """How many runs (items as now) or items (runs as now) would bring the MDE of a seed-aware
    comparison down to `target`, from its variance parts (normal approximation; None where
    more of that alone cannot get there)."""
    from scipy.stats import norm

    need = (target / (norm.ppf(1 - alpha / 2) + norm.ppf(power))) ** 2  # the variance allowed
    runs = items = None
    if var_items < need and var_runs > 0:
        runs = math.ceil(var_runs * n_runs / (need - var_items))
    elif var_runs == 0 and var_items <= need:
        runs = n_runs
    if var_runs < need and var_items > 0:
        items = math.ceil(var_items * n_items / (need - var_runs))
    elif var_items == 0 and var_runs <= need:
        items = n_items
    return {"seeds": runs, "items": items}
