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
