"""The made-up practice record export (``generate_practice``): deterministic, bounded by the as-of
date, read through the real importer, and counted by the coverage measures."""

import csv
import io
from dataclasses import replace
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from cases import practice_synthetic
from cases.models import CareEpisode, Child, CPPlan, Referral, Section47
from cases.practice_import import practice_import
from cases.practice_synthetic import CaseHistory, Plan, Span
from outcomes.models import MeasureValue
from outcomes.services import measures_compute

AS_OF = date(2024, 12, 31)
COVERAGE = (
    "coverage_map",
    "coverage_danger_goals",
    "coverage_childs_voice",
    "coverage_network",
    "coverage_safety_plan",
    "participatory_conferences",
)


def build_cases(authority, team, *, prefix: str = "A", children: int = 12) -> list[Child]:
    """Open cases from early 2023: every child referred, every other one on a child protection plan
    after an initial conference, with reviews; one looked after; one referred after the as-of date."""
    kids = Child.objects.bulk_create(
        Child(
            authority=authority,
            la_child_id=f"{prefix}{index:03d}",
            birth_month=date(2012 + index % 8, 1 + index % 12, 1),
            team=team if index % 3 else None,
        )
        for index in range(children)
    )
    Referral.objects.bulk_create(
        Referral(child=kid, referral_date=date(2023, 1, 9) + timedelta(days=7 * index), primary_need="N1")
        for index, kid in enumerate(kids)
    )
    protected = kids[::2]
    Section47.objects.bulk_create(
        Section47(child=kid, start_date=date(2023, 2, 1), icpc_date=date(2023, 2, 20)) for kid in protected
    )
    CPPlan.objects.bulk_create(
        CPPlan(
            child=kid,
            start_date=date(2023, 2, 20),
            end_date=date(2025, 6, 1),  # after the as-of date: still open then
            initial_category="NEG",
            review_dates=["2023-05-15", "2023-11-13", "2024-05-13", "2024-11-11", "2025-05-12"],
        )
        for kid in protected
    )
    CareEpisode.objects.create(child=kids[1], start_date=date(2023, 6, 1), placement="U1")
    late = Child.objects.create(
        authority=authority, la_child_id=f"{prefix}LATE", birth_month=date(2015, 1, 1)
    )
    Referral.objects.create(child=late, referral_date=AS_OF + timedelta(days=10))
    return kids


def export(authority, *, seed: int = 7, as_of: date = AS_OF) -> str:
    histories = practice_synthetic.case_histories(authority=authority, as_of=as_of)
    return practice_synthetic.to_csv(
        practice_synthetic.generate(histories, code=authority.code, seed=seed, as_of=as_of)
    )


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def cases_a(personas):
    return build_cases(personas.authority_a, personas.team_a)


def test_the_same_arguments_give_a_byte_identical_file(personas, cases_a, tmp_path):
    first, second, other_seed = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    for out, seed in ((first, "2026"), (second, "2026"), (other_seed, "2027")):
        call_command(
            "generate_practice",
            "--authority",
            "991",
            "--seed",
            seed,
            "--out",
            str(out),
            "--as-of",
            "2024-12-31",
        )
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other_seed.read_bytes()
    assert first.read_text().splitlines()[0] == ",".join(practice_synthetic.COLUMNS)


def test_nothing_is_dated_after_the_as_of_date(personas, cases_a):
    as_of = date(2023, 9, 30)
    rows = read(export(personas.authority_a, as_of=as_of))
    assert rows
    dates = [row[name] for row in rows for name in ("date", "end_date", "reviewed_on") if row[name]]
    assert max(dates) <= as_of.isoformat()
    # Plan reviews after the as-of date are not known yet; a child referred after it has no record.
    conferences = {
        row["date"] for row in rows if row["record_type"] == "conference" and row["kind"] != "network"
    }
    assert conferences == {"2023-02-20", "2023-05-15"}
    assert "ALATE" not in {row["child_id"] for row in rows}


def test_the_export_imports_with_no_rejected_row(personas, cases_a):
    data = export(personas.authority_a).encode()
    rows = read(data.decode())
    result = practice_import(
        authority=personas.authority_a, data=data, filename="practice.csv", acting_user=personas.quinn
    )
    assert result.problems == []
    assert result.stored == len(rows)  # no two rows share an identity
    assert {row["record_type"] for row in rows} == set(practice_synthetic.TYPE_ORDER)
    again = practice_import(
        authority=personas.authority_a, data=data, filename="practice.csv", acting_user=personas.quinn
    )
    assert (again.stored, again.updated, again.unchanged) == (0, 0, len(rows))


def test_after_computing_the_coverage_measures_are_not_zero(personas, cases_a) -> None:
    authority = personas.authority_a
    practice_import(authority=authority, data=export(authority).encode(), filename="p.csv")
    measures_compute(authority_ids=[authority.pk])
    values = MeasureValue.objects.filter(
        authority=authority, team=None, period_type="quarter", measure__in=COVERAGE
    ).values_list("measure", "numerator", "denominator")
    best: dict[str, float] = {}
    for measure, numerator, denominator in values:
        if denominator:
            best[measure] = max(best.get(measure, 0.0), numerator / denominator)
    assert set(best) == set(COVERAGE)
    assert all(0 < share <= 1 for share in best.values()), best
    assert best["coverage_map"] >= 0.5


def test_only_the_given_authoritys_children_are_read(personas, cases_a, django_assert_num_queries):
    build_cases(personas.authority_b, personas.team_b, prefix="B-ONLY-")
    with django_assert_num_queries(5):  # whatever the number of children
        histories = practice_synthetic.case_histories(authority=personas.authority_a, as_of=AS_OF)
    assert {history.la_child_id[0] for history in histories} == {"A"}
    assert "B-ONLY" not in export(personas.authority_a)
    assert "B-ONLY" in export(personas.authority_b)


# --- The generator on its own (no database) --------------------------------------------------------------


def history(index: int, *, born: date | None, protected: bool = True) -> CaseHistory:
    start = date(2022, 4, 1) + timedelta(days=5 * index)
    plans = []
    if protected:
        reviews = tuple(start + timedelta(days=20 + 180 * n) for n in range(1, 5))
        plans = [Plan(start + timedelta(days=20), None, "EMO", reviews)]
    return CaseHistory(
        f"C{index:04d}",
        birth_month=born,
        team="Team 1" if index % 2 else "Team 2",
        referrals=[Span(start, None)],
        needs=["N4"],
        plans=plans,
        icpcs=[start + timedelta(days=20)] if protected else [],
    )


def test_records_up_to_a_day_do_not_depend_on_a_later_as_of_date() -> None:
    histories = [history(index, born=date(2014, 5, 1)) for index in range(20)]
    early, late = date(2023, 6, 30), date(2024, 12, 31)
    # As known on the earlier date: the same cases, with nothing after it.
    first = practice_synthetic.generate(histories, code="991", seed=1, as_of=early)
    second = practice_synthetic.generate(histories, code="991", seed=1, as_of=late)

    def known(rows: list[practice_synthetic.Row]) -> list[practice_synthetic.Row]:
        # End and review dates fill in as they happen; the references are the file's own.
        return [
            replace(row, end_date=None, reviewed_on=None, danger_statement_ref="")
            for row in rows
            if row.day <= early
        ]

    assert known(first) == known(second)
    assert len(second) > len(first)


def test_childs_voice_tools_only_for_children_of_the_right_age():
    as_of = date(2024, 12, 31)
    babies = [history(index, born=date(2022, 1, 1)) for index in range(10)]
    teenagers = [history(index, born=date(2004, 1, 1)) for index in range(10, 20)]
    school_age = [history(index, born=date(2015, 1, 1)) for index in range(20, 30)]
    rows = practice_synthetic.generate([*babies, *teenagers, *school_age], code="991", seed=3, as_of=as_of)
    with_voice = {row.child_id for row in rows if row.record_type == "voice_tool"}
    assert with_voice
    assert with_voice <= {child.la_child_id for child in school_age}


def test_most_child_protection_cases_have_danger_statements_with_goals():
    histories = [history(index, born=date(2016, 3, 1)) for index in range(40)]
    rows = practice_synthetic.generate(histories, code="992", seed=5, as_of=date(2024, 12, 31))
    with_goal = {row.child_id for row in rows if row.record_type == "danger_statement" and row.safety_goal}
    assert len(with_goal) >= 0.7 * len(histories)
    initial = [row for row in rows if row.record_type == "conference" and row.kind == "initial"]
    assert len(initial) == len(histories)
    assert {row.format for row in initial} == {"participatory", "traditional"}
