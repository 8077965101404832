"""Percentage agreement and Cohen's weighted kappa (audits.agreement): no database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audits.agreement import (
    LINEAR,
    QUADRATIC,
    UNWEIGHTED,
    agreement,
    confusion_matrix,
    percentage_agreement,
    weighted_kappa,
)

# Ten rubric items rated by an audit (agreed level, first) and a moderator (second), levels 1..4.
WORKED = [(1, 1), (2, 2), (2, 2), (2, 3), (3, 3), (3, 3), (3, 2), (3, 4), (4, 4), (4, 3)]


def test_worked_example_computed_by_hand():
    """Observed counts o (rows: the agreed level, columns: the moderator's level), n = 10:

            1  2  3  4 | r
        1 [ 1  0  0  0 ] 1
        2 [ 0  2  1  0 ] 3
        3 [ 0  1  2  1 ] 4
        4 [ 0  0  1  1 ] 2
        c   1  3  4  2

    Exact agreement: the diagonal, 1 + 2 + 2 + 1 = 6 of 10 = 0.6. Within one level: every
    disagreement is one level apart, so 10 of 10 = 1.0.

    Expected counts e(i, j) = r(i)·c(j) / n, shown ×10 (they sum to 100):

            1   2   3   4
        1 [ 1   3   4   2 ]
        2 [ 3   9  12   6 ]
        3 [ 4  12  16   8 ]
        4 [ 2   6   8   4 ]

    Grouped by the distance |i - j| (×10): distance 0: 1 + 9 + 16 + 4 = 30; distance 1:
    2·(3 + 12 + 8) = 46; distance 2: 2·(4 + 6) = 20; distance 3: 2·2 = 4. Observed by distance:
    6, 4, 0, 0 (of 10).

    Linear weights 1 - d/3: 1, 2/3, 1/3, 0.
        Po = (6 + 4·2/3) / 10 = 13/15
        Pe = (30 + 46·2/3 + 20·1/3) / 100 = 101/150
        kappa = (13/15 - 101/150) / (1 - 101/150) = (29/150) / (49/150) = 29/49 ≈ 0.5918

    Quadratic weights 1 - d²/9: 1, 8/9, 5/9, 0.
        Po = (6 + 4·8/9) / 10 = 43/45
        Pe = (30 + 46·8/9 + 20·5/9) / 100 = 82/100
        kappa = (43/45 - 41/50) / (1 - 41/50) = (61/450) / (9/50) = 61/81 ≈ 0.7531

    Unweighted (Cohen's plain kappa): Po = 6/10, Pe = 30/100, kappa = 0.3 / 0.7 = 3/7 ≈ 0.4286.
    """
    assert confusion_matrix(WORKED, k=4) == [[1, 0, 0, 0], [0, 2, 1, 0], [0, 1, 2, 1], [0, 0, 1, 1]]
    result = agreement(WORKED, k=4)
    assert result.n == 10
    assert result.exact == pytest.approx(0.6)
    assert result.within_one == pytest.approx(1.0)
    assert result.kappa_linear == pytest.approx(29 / 49)
    assert result.kappa_quadratic == pytest.approx(61 / 81)
    assert weighted_kappa(WORKED, k=4, weights=UNWEIGHTED) == pytest.approx(3 / 7)


def test_perfect_agreement_over_several_levels_is_one():
    pairs = [(1, 1), (2, 2), (3, 3), (4, 4), (4, 4)]
    assert weighted_kappa(pairs, k=4, weights=LINEAR) == 1
    assert weighted_kappa(pairs, k=4, weights=QUADRATIC) == 1
    assert percentage_agreement(pairs) == 1


def test_everything_in_one_level_leaves_kappa_undefined():
    # Both raters always say 3: Pe = 1, so kappa = (1 - 1) / (1 - 1) = 0/0. Agreement is perfect,
    # yet says nothing about the raters: None, not 1 and not 0.
    pairs = [(3, 3)] * 6
    assert weighted_kappa(pairs, k=4) is None
    assert agreement(pairs, k=4).kappa_quadratic is None
    assert percentage_agreement(pairs) == 1


def test_one_rater_in_one_level_gives_kappa_zero():
    # The first rater always says 2: whatever the second says, observed equals expected.
    pairs = [(2, 1), (2, 2), (2, 4)]
    assert weighted_kappa(pairs, k=4) == 0


def test_no_pairs():
    result = agreement([], k=4)
    assert (result.n, result.exact, result.within_one, result.kappa_linear) == (0, None, None, None)


def test_levels_outside_the_scale_are_refused():
    with pytest.raises(ValueError, match="5 is not a level between 1 and 4"):
        weighted_kappa([(1, 5)], k=4)
    with pytest.raises(ValueError, match="is not a weighting"):
        weighted_kappa([(1, 1)], k=4, weights="cubic")


def test_within_one_level():
    assert percentage_agreement([(1, 2), (1, 3), (4, 4), (2, 1)], tolerance=1) == 0.75


levels = st.integers(min_value=1, max_value=4)
pair_lists = st.lists(st.tuples(levels, levels), min_size=1, max_size=40)


@given(pairs=pair_lists, weights=st.sampled_from([LINEAR, QUADRATIC, UNWEIGHTED]))
def test_kappa_is_at_most_one_and_symmetric(pairs, weights):
    kappa = weighted_kappa(pairs, k=4, weights=weights)
    swapped = weighted_kappa([(second, first) for first, second in pairs], k=4, weights=weights)
    assert kappa == swapped
    if kappa is not None:
        assert kappa <= 1
