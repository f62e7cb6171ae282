"""The statistics every report uses, on fixed inputs whose values come from outside the code
under test: published figures (with their source), exact sums written out by hand, and the
textbook formulas and defining properties written out here."""

import math
import random
from fractions import Fraction

import numpy as np
import pytest

from safetygap.stats import bootstrap_ci, cohen_kappa, mcnemar_exact, rate, wilson

Z95 = 1.959963984540054


def textbook_wilson(k, n, z=Z95):
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def textbook_mcnemar(b, c):
    n = b + c
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n)


def normal_cdf(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def test_z95_is_the_normal_quantile():
    assert normal_cdf(Z95) == pytest.approx(0.975, abs=1e-15)


@pytest.mark.parametrize(
    "k, n, low, high",
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison
        # of seven methods", Statistics in Medicine 17:857-872, Table II, method 3 (the Wilson
        # score interval without continuity correction), 95%, to four decimals.
        (81, 263, "0.2553", "0.3662"),
        (15, 148, "0.0624", "0.1605"),
        (0, 20, "0.0000", "0.1611"),
        (1, 29, "0.0061", "0.1718"),
    ],
)
def test_wilson_reproduces_published_intervals(k, n, low, high):
    lo, hi = wilson(k, n)
    assert (f"{lo:.4f}", f"{hi:.4f}") == (low, high)


@pytest.mark.parametrize("k", [3, 4, 5, 7, 13, 18, 27, 34, 43, 51, 59])
@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_wilson_ends_are_where_the_score_test_is_just_significant(k, confidence):
    """The Wilson interval is the set of p the score test does not reject: at each end,
    |k/n - p| = z sqrt(p (1 - p) / n), and a point just outside is rejected."""
    n = 60
    z = {0.95: Z95, 0.99: 2.5758293035489004}[confidence]
    assert normal_cdf(z) == pytest.approx(1 - (1 - confidence) / 2, abs=1e-15)

    def score(p):
        return abs(k / n - p) / math.sqrt(p * (1 - p) / n)

    lo, hi = wilson(k, n, confidence=confidence)
    assert lo < k / n < hi
    assert score(lo) == pytest.approx(z, rel=1e-9) and score(hi) == pytest.approx(z, rel=1e-9)
    assert score(lo - 1e-4) > z and score(hi + 1e-4) > z
    assert score(lo + 1e-4) < z and score(hi - 1e-4) < z


def test_wilson_matches_textbook_and_contains_the_estimate():
    for n in (1, 2, 7, 60, 300, 1080):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            lo, hi = wilson(k, n)
            ref_lo, ref_hi = textbook_wilson(k, n)
            assert lo == pytest.approx(max(0.0, ref_lo), abs=1e-9)
            assert hi == pytest.approx(min(1.0, ref_hi), abs=1e-9)
            assert 0.0 <= lo <= k / n <= hi <= 1.0
            assert hi - lo > 0
    # wider at 99% than at 95%, narrower with more data at the same rate
    lo95, hi95 = wilson(13, 60)
    lo99, hi99 = wilson(13, 60, confidence=0.99)
    assert lo99 < lo95 and hi99 > hi95
    lo_big, hi_big = wilson(130, 600)
    assert hi_big - lo_big < hi95 - lo95
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0


def test_rate_shape():
    r = rate(13, 60)
    assert r["value"] == pytest.approx(13 / 60) and r["n"] == 60
    assert (r["ci_low"], r["ci_high"]) == wilson(13, 60)
    assert rate(0, 0) == {"value": None, "ci_low": 0.0, "ci_high": 1.0, "n": 0}


@pytest.mark.parametrize(
    "b, c, exact",
    [
        # Two-sided exact test: twice the binomial(b + c, 1/2) tail at min(b, c), summed by hand.
        (0, 6, Fraction(2, 2**6)),  # 0.03125
        (0, 13, Fraction(2, 2**13)),  # 0.000244
        (13, 0, Fraction(2, 2**13)),
        (0, 22, Fraction(2, 2**22)),  # 4.77e-07
        (89, 0, Fraction(2, 2**89)),  # 3.23e-27: far below what a normal approximation gives
        (1, 7, Fraction(2 * (1 + 8), 2**8)),  # 0.0703
        (1, 14, Fraction(2 * (1 + 15), 2**15)),  # 0.000977
        (3, 7, Fraction(2 * (1 + 10 + 45 + 120), 2**10)),  # 0.344
        (5, 9, Fraction(2 * (1 + 14 + 91 + 364 + 1001 + 2002), 2**14)),  # 0.424
        (4, 5, Fraction(1)),  # the tail is past the middle: capped at 1
        (10, 10, Fraction(1)),
    ],
)
def test_mcnemar_exact_values(b, c, exact):
    assert mcnemar_exact(b, c) == pytest.approx(float(exact), rel=1e-12)


def test_mcnemar_matches_textbook_and_is_symmetric():
    for b in range(0, 31):
        for c in range(0, 31):
            p = mcnemar_exact(b, c)
            assert p == mcnemar_exact(c, b)
            assert p == pytest.approx(textbook_mcnemar(b, c), rel=1e-9)
            assert 0.0 < p <= 1.0
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_exact(1, 9) == pytest.approx(2 * 11 / 1024)
    assert mcnemar_exact(0, 10) < mcnemar_exact(1, 9) < mcnemar_exact(2, 8)


def textbook_kappa(a, b):
    n = len(a)
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pe = sum(a.count(lab) / n * b.count(lab) / n for lab in set(a) | set(b))
    return (po - pe) / (1 - pe)


def test_cohen_kappa_hand_computed():
    # answered/answered 5, answered/refused 1, refused/refused 3, refused/answered 1:
    # po = 0.8, pe = 0.6 * 0.6 + 0.4 * 0.4 = 0.52, kappa = 0.28 / 0.48 = 7/12
    a = ["answered"] * 6 + ["refused"] * 4
    b = ["answered"] * 5 + ["refused"] * 4 + ["answered"]
    assert cohen_kappa(a, b) == pytest.approx(7 / 12)
    # three labels, with an unparsed verdict: each rater 3 answered, 2 refused, 1 unparsed;
    # po = 4/6 = 24/36, pe = (3*3 + 2*2 + 1*1) / 36 = 14/36, kappa = 10/22 = 5/11
    a = ["answered", "answered", "answered", "refused", "refused", "unparsed"]
    b = ["answered", "answered", "refused", "refused", "answered", "unparsed"]
    assert cohen_kappa(a, b) == pytest.approx(5 / 11)


def test_cohen_kappa_properties():
    a = ["answered", "refused"] * 10
    assert cohen_kappa(a, list(a)) == 1.0  # identical raters
    assert cohen_kappa(a, a[::-1]) == pytest.approx(-1.0)  # always disagree, balanced
    b = ["answered"] * 10 + ["refused"] * 10
    assert cohen_kappa(a, b) == pytest.approx(0.0)  # agreement exactly at chance
    assert cohen_kappa(["refused"] * 5, ["refused"] * 5) == 1.0  # one label, both raters
    assert math.isnan(cohen_kappa([], []))
    with pytest.raises(ValueError):
        cohen_kappa(["answered"], [])
    rng = random.Random(0)
    labels = ["answered", "refused", "unparsed"]
    for _ in range(200):
        n = rng.randint(2, 30)
        x = [rng.choice(labels) for _ in range(n)]
        y = [v if rng.random() < 0.6 else rng.choice(labels) for v in x]
        if len(set(x) | set(y)) > 1:
            k = cohen_kappa(x, y)
            assert k == pytest.approx(textbook_kappa(x, y))
            assert k == pytest.approx(cohen_kappa(y, x))


def test_bootstrap_ci_seeded_and_covers_the_mean():
    rng = np.random.default_rng(1)
    values = rng.normal(0.3, 1.0, 200)
    lo, hi = bootstrap_ci(values, seed=0)
    assert (lo, hi) == bootstrap_ci(values, seed=0)  # same seed, same interval
    assert (lo, hi) != bootstrap_ci(values, seed=1)  # the seed is actually used
    assert lo < values.mean() < hi
    # close to the normal-theory interval mean +- 1.96 s / sqrt(n)
    half = Z95 * values.std(ddof=1) / math.sqrt(len(values))
    assert lo == pytest.approx(values.mean() - half, abs=0.03)
    assert hi == pytest.approx(values.mean() + half, abs=0.03)
    # a lower level gives a narrower interval; other statistics work too
    lo80, hi80 = bootstrap_ci(values, confidence=0.8)
    assert lo < lo80 < values.mean() < hi80 < hi
    lo_med, hi_med = bootstrap_ci(values, statistic=np.median)
    assert lo_med < np.median(values) < hi_med
    # on 13 of 60, the bootstrap and the Wilson interval roughly agree
    b_lo, b_hi = bootstrap_ci([1] * 13 + [0] * 47)
    w_lo, w_hi = wilson(13, 60)
    assert b_lo == pytest.approx(w_lo, abs=0.04) and b_hi == pytest.approx(w_hi, abs=0.04)


def test_bootstrap_ci_degenerate():
    assert bootstrap_ci([0.5] * 10) == (0.5, 0.5)
    lo, hi = bootstrap_ci([])
    assert math.isnan(lo) and math.isnan(hi)


# Training seeds: intervals over runs x items, on simulated data with a known seed variance.


def simulate(rng, runs, items, mu, sd_seed, sd_item):
    """A runs x items 0/1 table from a logistic model with run and item effects."""
    from scipy.special import expit

    a = rng.normal(0, sd_seed, runs)[:, None]
    b = rng.normal(0, sd_item, items)[None, :]
    return (rng.random((runs, items)) < expit(mu + a + b)).astype(float)


def true_mean(rng, mu, sd_seed, sd_item):
    from scipy.special import expit

    return float(
        expit(mu + rng.normal(0, sd_seed, 400_000) + rng.normal(0, sd_item, 400_000)).mean()
    )


@pytest.mark.parametrize("runs, items, sd_seed", [(3, 60, 0.6), (3, 60, 0.0), (6, 300, 0.4)])
def test_the_seed_aware_interval_covers_the_truth(runs, items, sd_seed):
    """The 95% interval of `seed_rate` covers the population mean (over seeds and items) in
    at least 93% of 300 simulated studies, while one run's Wilson interval misses it far more
    often once seeds vary."""
    from safetygap.stats import seed_rate, wilson

    rng = np.random.default_rng(7)
    truth = true_mean(rng, -0.5, sd_seed, 1.0)
    covered = wilson_covered = 0
    for _ in range(300):
        y = simulate(rng, runs, items, -0.5, sd_seed, 1.0)
        r = seed_rate(y)
        covered += r["ci_low"] <= truth <= r["ci_high"]
        lo, hi = wilson(int(y[0].sum()), items)
        wilson_covered += lo <= truth <= hi
        assert r["n_seeds"] == runs and r["sd"] == pytest.approx(np.std(y.mean(axis=1), ddof=1))
    assert covered / 300 >= 0.93
    if sd_seed >= 0.4:
        assert wilson_covered / 300 < 0.85


def test_the_seed_aware_difference_holds_its_level():
    """Two models with no difference but a seed spread: the paired and unpaired seed-aware tests
    reject in at most 9% of 300 studies; a real difference of 15 points is found mostly."""
    from safetygap.stats import seed_difference

    rng = np.random.default_rng(3)
    false = {True: 0, False: 0}
    for _ in range(300):
        shared = rng.normal(0, 1.0, 60)
        tables = []
        for _side in range(2):
            a = rng.normal(0, 0.5, 3)[:, None]
            from scipy.special import expit

            tables.append((rng.random((3, 60)) < expit(a + shared)).astype(float))
        for paired in (True, False):
            false[paired] += seed_difference(*tables, paired=paired)["p_value"] < 0.05
    assert false[True] / 300 <= 0.09 and false[False] / 300 <= 0.09
    a = np.zeros((3, 100))
    b = np.zeros((3, 100))
    b[:, :15] = 1
    d = seed_difference(a, b, paired=True)
    assert d["diff"] == pytest.approx(0.15) and d["p_value"] < 0.05


def test_mcnemar_critical_values_and_power():
    from scipy.stats import binomtest

    from safetygap.stats import mcnemar_critical, mcnemar_power, mde_mcnemar

    for m in range(1, 60):
        brute = next(
            (b for b in range(m // 2 + 1, m + 1) if binomtest(b, m, 0.5).pvalue < 0.05), m + 1
        )
        assert mcnemar_critical(np.array([m]), 0.05)[0] == brute
    # Monte Carlo of the test itself against the exact power
    rng = np.random.default_rng(0)
    n, q, d, hits = 60, 0.03, 0.15, 0
    for _ in range(1500):
        u = rng.random(n)
        back, up = int((u < q).sum()), int(((u >= q) & (u < 2 * q + d)).sum())
        hits += up > back and binomtest(up, up + back, 0.5).pvalue < 0.05
    assert abs(hits / 1500 - mcnemar_power(n, q, d)) < 0.04
    # 6 items: only a rise of nearly everything is detectable; at 90% answered, none is
    assert mde_mcnemar(6, 0.0, 0.0) > 0.9
    assert mde_mcnemar(6, 0.9, 0.0) is None
    assert mde_mcnemar(300, 0.2, 0.03) < mde_mcnemar(60, 0.2, 0.03)
