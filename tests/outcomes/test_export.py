"""The management commands, as an analyst runs them (shared/spec/measures.md)."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from outcomes.models import MeasureValue
from outcomes.registry import MEASURES
from tests.factories import AuthorityFactory, TeamFactory
from tests.outcomes import builders as b

pytestmark = pytest.mark.django_db

HEADER = "authority,team,measure,period_type,period_start,period_end,numerator,denominator,value"


@pytest.fixture
def wokingham():
    authority = AuthorityFactory(code="872", name="Wokingham")
    team = TeamFactory(authority=authority, name="North, East")
    back, new1, new2 = b.child(authority, team=team), b.child(authority), b.child(authority)
    b.referral(back, "2023-07-01")
    b.referral(back, "2024-05-15")  # within a year of 2023-07-01: a re-referral
    b.referral(new1, "2024-04-01")
    b.referral(new2, "2024-06-30")
    other = AuthorityFactory(code="873", name="Elsewhere")
    b.referral(b.child(other), "2024-04-10")
    out = StringIO()
    call_command("compute_measures", stdout=out)
    assert out.getvalue().startswith("Computed ")
    return authority


def export(*args: str) -> list[str]:
    out = StringIO()
    call_command("export_measures", "--format", "csv", *args, stdout=out)
    return out.getvalue().splitlines()


def test_header_and_exact_lines(wokingham):
    lines = export()
    assert lines[0] == HEADER
    assert "872,,referrals,quarter,2024-04-01,2024-06-30,3,,3" in lines
    assert "872,,rereferrals_12m,quarter,2024-04-01,2024-06-30,1,3,0.3333" in lines
    assert "872,,rereferrals_12m,year,2024-04-01,2025-03-31,1,3,0.3333" in lines
    assert "872,,rereferrals_12m,month,2024-04-01,2024-04-30,0,1,0.0000" in lines
    assert "872,,rereferrals_12m,month,2024-05-01,2024-05-31,1,1,1.0000" in lines
    # No referral between October and December 2023: a count of 0, a rate with no value.
    assert "872,,referrals,quarter,2023-10-01,2023-12-31,0,,0" in lines
    assert "872,,rereferrals_12m,quarter,2023-10-01,2023-12-31,0,0," in lines
    assert '872,"North, East",referrals,quarter,2024-04-01,2024-06-30,1,,1' in lines
    assert "873,,referrals,month,2024-04-01,2024-04-30,1,,1" in lines
    assert len(lines) == 1 + MeasureValue.objects.count()


def parsed(lines: list[str]) -> list[list[str]]:
    return list(csv.reader(lines))[1:]


def test_rows_are_ordered_authority_then_team_then_measure_then_period(wokingham):
    rows = parsed(export())
    keys = [
        (
            row[0],
            row[1] != "",
            row[1],
            list(MEASURES).index(row[2]),
            ["month", "quarter", "year"].index(row[3]),
            row[4],
        )
        for row in rows
    ]
    assert keys == sorted(keys)
    assert rows[0][:5] == ["872", "", "referrals", "month", "2023-07-01"]
    assert rows[-1][:3] == ["873", "", list(MEASURES)[-1]]


def test_filter_by_authority(wokingham):
    lines = export("--authority", "873")
    assert lines[0] == HEADER
    assert {row[0] for row in parsed(lines)} == {"873"}
    assert len(lines) == 1 + MeasureValue.objects.filter(authority__code="873").count()


def test_filter_by_period_type(wokingham):
    lines = export("--period-type", "quarter")
    assert {row[3] for row in parsed(lines)} == {"quarter"}
    assert len(lines) == 1 + MeasureValue.objects.filter(period_type="quarter").count()


def test_filter_by_period_start_range(wokingham):
    lines = export("--authority", "872", "--from", "2024-04-01", "--to", "2024-06-30")
    starts = {(row[3], row[4]) for row in parsed(lines)}
    assert starts == {
        ("month", "2024-04-01"),
        ("month", "2024-05-01"),
        ("month", "2024-06-01"),
        ("quarter", "2024-04-01"),
        ("year", "2024-04-01"),
    }
    # The quarter that ends in the range but starts before it is left out.
    assert not any(",quarter,2024-01-01," in line for line in lines)


def test_unknown_authority_is_a_clear_error(wokingham):
    with pytest.raises(CommandError, match="No authority has the DfE number '999'"):
        export("--authority", "999")
    with pytest.raises(CommandError, match="No authority has the DfE number '999'"):
        call_command("compute_measures", "--authority", "999", stdout=StringIO())


def test_bad_dates_are_a_clear_error(wokingham):
    with pytest.raises(CommandError, match="--from '2024-13-01' is not a date"):
        export("--from", "2024-13-01")


def test_compute_for_one_authority(wokingham):
    out = StringIO()
    call_command("compute_measures", "--authority", "873", stdout=out)
    assert out.getvalue().strip() == f"Computed {3 * len(MEASURES)} measure values for 873."


def test_a_team_name_a_spreadsheet_would_run_is_escaped_and_nothing_else_changes(wokingham):
    before = export()
    wokingham.teams.update(name="=HYPERLINK(1)")
    after = export()
    assert "872,'=HYPERLINK(1),referrals,quarter,2024-04-01,2024-06-30,1,,1" in after
    # Only the team's cell differs: codes, measures, dates and figures are exactly as they were.
    assert [line.replace("'=HYPERLINK(1)", '"North, East"') for line in after] == before
