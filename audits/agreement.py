"""Agreement between two raters on ordinal levels 1..k: pure functions on plain data, no database.

A moderation compares two ratings of the same rubric item: the level the auditor and practitioner
agreed, and the level the moderator gave blind. ``pairs`` is a sequence of ``(first, second)``
levels, one pair per item rated by both.

- ``percentage_agreement``: the share of pairs that agree exactly (``tolerance=0``) or within
  ``tolerance`` levels (within one level: ``tolerance=1``).
- ``confusion_matrix``: counts of pairs, rows the first rater's level, columns the second's.
- ``weighted_kappa``: Cohen's weighted kappa with linear or quadratic agreement weights
  (``weights="none"`` gives the unweighted kappa). For levels i and j out of k,

      linear:     w(i, j) = 1 - |i - j| / (k - 1)
      quadratic:  w(i, j) = 1 - (i - j)² / (k - 1)²

  observed Po = Σ w(i, j)·o(i, j) / n, expected Pe = Σ w(i, j)·r(i)·c(j) / n², where o is the
  confusion matrix and r, c its row and column totals; kappa = (Po - Pe) / (1 - Pe).

  Kappa is undefined, and ``None`` is returned, when Pe = 1: both raters put every pair in one
  and the same level, so chance alone already explains all the agreement and 0/0 remains (the
  agreement is then perfect but says nothing about the raters). It is also ``None`` without pairs
  and for k < 2 (there is nothing to disagree about).

Arithmetic is exact (``Fraction``), so kappa is exactly symmetric in the two raters and the
"Pe = 1" test is exact; results are returned as floats.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

Pair = tuple[int, int]

LINEAR = "linear"
QUADRATIC = "quadratic"
UNWEIGHTED = "none"
WEIGHTS = (LINEAR, QUADRATIC, UNWEIGHTED)


def _checked(pairs: Iterable[Pair], k: int | None) -> list[Pair]:
    """The pairs as a list, each level checked against 1..k (when k is given)."""
    checked = []
    for first, second in pairs:
        for level in (first, second):
            if isinstance(level, bool) or not isinstance(level, int):
                raise ValueError(f"{level!r} is not a level: levels are whole numbers.")
            if level < 1 or (k is not None and level > k):
                raise ValueError(f"{level} is not a level between 1 and {k}.")
        checked.append((first, second))
    return checked


def percentage_agreement(pairs: Iterable[Pair], *, tolerance: int = 0) -> float | None:
    """The share (0 to 1) of pairs whose two levels differ by at most ``tolerance``; ``None``
    without pairs (no agreement is not the same as an agreement of 0)."""
    checked = _checked(pairs, None)
    if not checked:
        return None
    agreeing = sum(1 for first, second in checked if abs(first - second) <= tolerance)
    return agreeing / len(checked)


def confusion_matrix(pairs: Iterable[Pair], *, k: int) -> list[list[int]]:
    """k × k counts: row i - 1 is the first rater's level i, column j - 1 the second's level j."""
    matrix = [[0] * k for _ in range(k)]
    for first, second in _checked(pairs, k):
        matrix[first - 1][second - 1] += 1
    return matrix


def agreement_weight(i: int, j: int, *, k: int, weights: str = LINEAR) -> Fraction:
    """How much a pair (i, j) counts as agreement: 1 on the diagonal, 0 at the far corners."""
    if weights == UNWEIGHTED:
        return Fraction(int(i == j))
    distance = Fraction(abs(i - j), k - 1)
    if weights == LINEAR:
        return 1 - distance
    if weights == QUADRATIC:
        return 1 - distance * distance
    raise ValueError(f"{weights!r} is not a weighting: use one of {', '.join(WEIGHTS)}.")


def weighted_kappa(pairs: Sequence[Pair], *, k: int, weights: str = LINEAR) -> float | None:
    """Cohen's weighted kappa of the two raters over levels 1..k (see the module docstring);
    ``None`` when undefined (no pairs, k < 2, or both raters always in one and the same level)."""
    if weights not in WEIGHTS:
        raise ValueError(f"{weights!r} is not a weighting: use one of {', '.join(WEIGHTS)}.")
    matrix = confusion_matrix(pairs, k=k)
    n = sum(map(sum, matrix))
    if n == 0 or k < 2:
        return None
    rows = [sum(row) for row in matrix]
    columns = [sum(matrix[i][j] for i in range(k)) for j in range(k)]
    weight = [[agreement_weight(i + 1, j + 1, k=k, weights=weights) for j in range(k)] for i in range(k)]
    observed = sum(weight[i][j] * matrix[i][j] for i in range(k) for j in range(k)) / Fraction(n)
    expected = sum(weight[i][j] * rows[i] * columns[j] for i in range(k) for j in range(k)) / Fraction(n * n)
    if expected == 1:
        return None
    return float((observed - expected) / (1 - expected))


@dataclass(frozen=True)
class Agreement:
    """Agreement of two raters over ``n`` pairs. Shares are 0 to 1; any figure is ``None`` when
    it cannot be computed (no pairs, or an undefined kappa)."""

    n: int
    exact: float | None
    within_one: float | None
    kappa_linear: float | None
    kappa_quadratic: float | None


def agreement(pairs: Sequence[Pair], *, k: int) -> Agreement:
    """Every agreement figure of the pairs, over levels 1..k."""
    checked = _checked(pairs, k)
    return Agreement(
        n=len(checked),
        exact=percentage_agreement(checked),
        within_one=percentage_agreement(checked, tolerance=1),
        kappa_linear=weighted_kappa(checked, k=k, weights=LINEAR),
        kappa_quadratic=weighted_kappa(checked, k=k, weights=QUADRATIC),
    )
