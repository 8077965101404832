"""Scoring against a rubric: pure functions, no database."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fidelity.scoring import (
    Distribution,
    ElementSpec,
    LevelSpec,
    RubricSpec,
    element_level,
    element_summaries,
    level_distribution,
    practice_fidelity_score,
    share_established_or_better,
)

STANDARD = RubricSpec(
    levels=(
        LevelSpec(1, "Not evident"),
        LevelSpec(2, "Emerging"),
        LevelSpec(3, "Established"),
        LevelSpec(4, "Embedded"),
    ),
    elements=tuple(ElementSpec(f"P{n}") for n in range(1, 15)),
)
# Two core elements and one that does not count in the score.
SMALL = RubricSpec.of(levels=[1, 2, 3, 4], elements=["A", "B", ("X", False)])


# --- element level ---------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [1, 2, 3, 4])
def test_a_level_of_the_rubric_is_itself(answer):
    assert element_level(rubric=STANDARD, answer=answer) == answer


@pytest.mark.parametrize("answer", [None, "", "  "])
def test_no_answer_is_no_level(answer):
    assert element_level(rubric=STANDARD, answer=answer) is None


def test_a_whole_number_in_text_is_read_as_a_level():
    assert element_level(rubric=STANDARD, answer=" 3 ") == 3


@pytest.mark.parametrize("answer", [0, 5, -1, 10, "7"])
def test_a_level_outside_the_rubric_is_refused_naming_the_value(answer):
    with pytest.raises(ValueError, match=f"^{re.escape(repr(answer))} is not a level of this rubric"):
        element_level(rubric=STANDARD, answer=answer)


@pytest.mark.parametrize("answer", [True, 2.5, "three", [3], {"level": 3}])
def test_anything_else_is_refused_naming_the_value(answer):
    with pytest.raises(ValueError, match="is not a"):
        element_level(rubric=STANDARD, answer=answer)  # type: ignore[arg-type]


def test_the_error_names_the_value_and_the_levels():
    with pytest.raises(ValueError, match=r"^5 is not a level of this rubric \(levels: 1, 2, 3, 4\)\.$"):
        element_level(rubric=STANDARD, answer=5)


def test_a_rubric_needs_levels_and_unique_keys():
    with pytest.raises(ValueError, match="at least one level"):
        RubricSpec(levels=())
    with pytest.raises(ValueError, match="level values repeat"):
        RubricSpec.of(levels=[1, 1])
    with pytest.raises(ValueError, match="element keys repeat"):
        RubricSpec.of(levels=[1], elements=["A", "A"])


# --- practice fidelity score -----------------------------------------------------------------


def test_the_score_is_the_mean_of_the_answered_core_elements():
    assert practice_fidelity_score(rubric=SMALL, answers={"A": 2, "B": 3}) == 2.5


def test_non_core_unanswered_and_unknown_elements_do_not_count():
    answers = {"A": 4, "B": None, "X": 1, "local-item": 1}
    assert practice_fidelity_score(rubric=SMALL, answers=answers) == 4.0


def test_no_answered_core_element_gives_no_score():
    assert practice_fidelity_score(rubric=SMALL, answers={}) is None
    assert practice_fidelity_score(rubric=SMALL, answers={"A": None, "X": 3}) is None


def test_the_score_refuses_a_core_answer_outside_the_levels():
    with pytest.raises(ValueError, match="^9 is not a level"):
        practice_fidelity_score(rubric=SMALL, answers={"A": 9})


def test_a_worked_audit_on_the_standard_rubric():
    levels = [3, 3, 2, 2, 3, 4, 1, 1, 3, 3, 4, 3, 2, 4]
    answers = {f"P{n}": level for n, level in enumerate(levels, start=1)}
    assert practice_fidelity_score(rubric=STANDARD, answers=answers) == pytest.approx(38 / 14)


# --- distribution and share established --------------------------------------------------------


def test_the_distribution_lists_every_level_zeros_included():
    distribution = level_distribution(rubric=STANDARD, answers=[3, 3, 1, None, 4])
    assert distribution == Distribution(counts={1: 1, 2: 0, 3: 2, 4: 1}, unanswered=1)
    assert list(distribution.counts) == [1, 2, 3, 4]
    assert distribution.answered == 4
    assert distribution.shares == {1: 0.25, 2: 0.0, 3: 0.5, 4: 0.25}


def test_an_empty_distribution_has_counts_of_zero_and_no_shares():
    distribution = level_distribution(rubric=STANDARD, answers=[None, None])
    assert distribution.counts == {1: 0, 2: 0, 3: 0, 4: 0}
    assert distribution.unanswered == 2
    assert distribution.shares is None


def test_share_established_or_better_counts_levels_3_and_4_among_the_answered():
    assert share_established_or_better(rubric=STANDARD, answers=[1, 2, 3, 4, None]) == 0.5
    assert share_established_or_better(rubric=STANDARD, answers=[4, 4]) == 1.0
    assert share_established_or_better(rubric=STANDARD, answers=[1, 2]) == 0.0
    assert share_established_or_better(rubric=STANDARD, answers=[None]) is None
    assert share_established_or_better(rubric=STANDARD, answers=[2, 3, 4, 4], threshold=4) == 0.5


# --- per-element summary ----------------------------------------------------------------------


def test_the_summary_gives_each_element_its_mean_and_distribution():
    audits = [{"A": 1, "B": 4, "X": 2}, {"A": 3, "X": None}, {"A": 2, "other": 4}]
    summaries = element_summaries(rubric=SMALL, audits=audits)
    assert list(summaries) == ["A", "B", "X"]
    assert summaries["A"].mean == 2.0
    assert summaries["A"].distribution == Distribution(counts={1: 1, 2: 1, 3: 1, 4: 0}, unanswered=0)
    assert summaries["B"].mean == 4.0
    assert summaries["B"].distribution.unanswered == 2
    assert summaries["X"].mean == 2.0
    assert summaries["X"].answered == 1


def test_the_summary_of_no_audits_has_no_means():
    summaries = element_summaries(rubric=SMALL, audits=[])
    assert all(s.mean is None and s.distribution.answered == 0 for s in summaries.values())


# --- properties ---------------------------------------------------------------------------------


@st.composite
def rubrics_and_answers(draw):
    values = draw(st.lists(st.integers(0, 20), min_size=1, max_size=6, unique=True))
    elements = draw(
        st.lists(
            st.tuples(st.text("ABCDEFGHPQ0123456789", min_size=1, max_size=4), st.booleans()),
            max_size=12,
            unique_by=lambda e: e[0],
        )
    )
    rubric = RubricSpec.of(levels=values, elements=elements)
    answer = st.one_of(st.none(), st.sampled_from(values))
    audits = draw(
        st.lists(st.fixed_dictionaries({}, optional={key: answer for key, _ in elements}), max_size=10)
    )
    return rubric, audits


@given(rubrics_and_answers())
def test_the_score_lies_between_the_lowest_and_highest_level(data):
    rubric, audits = data
    for answers in audits:
        score = practice_fidelity_score(rubric=rubric, answers=answers)
        answered_core = [answers.get(k) for k in rubric.core_keys if answers.get(k) is not None]
        if not answered_core:
            assert score is None
        else:
            assert score is not None
            assert rubric.min_level <= min(answered_core) <= score <= max(answered_core) <= rubric.max_level


@given(rubrics_and_answers())
def test_the_distribution_sums_to_the_count(data):
    rubric, audits = data
    answers = [answer for audit in audits for answer in audit.values()]
    distribution = level_distribution(rubric=rubric, answers=answers)
    assert set(distribution.counts) == set(rubric.values)
    assert distribution.answered + distribution.unanswered == len(answers)
    assert distribution.answered == sum(a is not None for a in answers)
    if distribution.shares is not None:
        assert sum(distribution.shares.values()) == pytest.approx(1.0)
    share = share_established_or_better(rubric=rubric, answers=answers)
    assert share is None or 0.0 <= share <= 1.0


@given(rubrics_and_answers())
def test_the_summary_counts_every_audit_once_per_element(data):
    rubric, audits = data
    summaries = element_summaries(rubric=rubric, audits=audits)
    assert list(summaries) == [e.key for e in rubric.elements]
    for summary in summaries.values():
        distribution = summary.distribution
        assert distribution.answered + distribution.unanswered == len(audits)
        if summary.mean is None:
            assert distribution.answered == 0
        else:
            assert rubric.min_level <= summary.mean <= rubric.max_level
            weighted = sum(value * count for value, count in distribution.counts.items())
            assert summary.mean == pytest.approx(weighted / distribution.answered)
