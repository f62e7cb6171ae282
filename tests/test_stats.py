import pytest

from safetygap.eval.stats import cohen_kappa, mcnemar_exact, wilson


def test_wilson_known_values():
    lo, hi = wilson(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_mcnemar_exact():
    assert mcnemar_exact(0, 5) == pytest.approx(0.0625)
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(1, 9) == pytest.approx(2 * 10 / 1024 + 2 / 1024)
    assert mcnemar_exact(0, 0) == 1.0


def test_cohen_kappa():
    a = ["answered", "refused"] * 10
    assert cohen_kappa(a, a) == 1.0
    assert cohen_kappa(a, a[::-1]) == pytest.approx(-1.0)
    b = ["answered"] * 10 + ["refused"] * 10
    assert cohen_kappa(a, b) == pytest.approx(0.0)
