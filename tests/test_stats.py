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
