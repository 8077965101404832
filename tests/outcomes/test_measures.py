"""Each measure on hand-made cases at its boundaries (shared/spec/measures.md)."""

from decimal import Decimal

import pytest

from outcomes.services import measures_compute, rate_value
from tests.factories import AuthorityFactory
from tests.outcomes import builders as b
from tests.outcomes.builders import stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def authority():
    return AuthorityFactory(code="872", name="Wokingham")


def test_rate_value_rounds_half_up_to_four_places():
    assert rate_value(37, 180) == Decimal("0.2056")
    assert rate_value(2, 3) == Decimal("0.6667")
    assert rate_value(1, 32) == Decimal("0.0313")  # 0.03125: half-up, not to even
    assert rate_value(0, 5) == Decimal("0.0000")
    assert rate_value(5, 5) == Decimal("1.0000")
    assert rate_value(0, 0) is None


def test_referrals_on_the_first_and_last_days_of_periods(authority):
    kid = b.child(authority)
    for day in ["2024-03-31", "2024-04-01", "2024-06-30", "2024-07-01", "2024-02-29", "2025-03-31"]:
        b.referral(kid, day)
    measures_compute()
    assert stored(authority, "referrals", "month", "2024-02-01") == (1, None, "1.0000")
    assert stored(authority, "referrals", "month", "2024-03-01")[0] == 1
    assert stored(authority, "referrals", "month", "2024-04-01")[0] == 1
    assert stored(authority, "referrals", "month", "2024-05-01")[0] == 0
    assert stored(authority, "referrals", "month", "2024-06-01")[0] == 1
    assert stored(authority, "referrals", "quarter", "2024-01-01")[0] == 2
    assert stored(authority, "referrals", "quarter", "2024-04-01")[0] == 2
    assert stored(authority, "referrals", "quarter", "2024-07-01")[0] == 1
    assert stored(authority, "referrals", "quarter", "2025-01-01")[0] == 1
    assert stored(authority, "referrals", "year", "2023-04-01")[0] == 2
    assert stored(authority, "referrals", "year", "2024-04-01")[0] == 4


def test_rereferrals_exactly_one_year_counts_and_one_day_more_does_not(authority):
    exact, late = b.child(authority), b.child(authority)
    b.referral(exact, "2023-05-10")
    b.referral(exact, "2024-05-10")
    b.referral(late, "2023-05-09")
    b.referral(late, "2024-05-10")
    measures_compute()
    assert stored(authority, "rereferrals_12m", "month", "2024-05-01") == (1, 2, "0.5000")
    # The earlier referrals are not re-referrals: "earlier" is strictly before.
    assert stored(authority, "rereferrals_12m", "month", "2023-05-01") == (0, 2, "0.0000")
    assert stored(authority, "rereferrals_12m", "year", "2024-04-01") == (1, 2, "0.5000")


def test_rereferrals_around_29_february(authority):
    kids = {name: b.child(authority, la_child_id=name) for name in "CDEFG"}
    b.referral(kids["C"], "2023-02-28")  # 2024-02-29 minus one year is 2023-02-28: counts
    b.referral(kids["D"], "2023-02-27")  # a day earlier: does not
    b.referral(kids["E"], "2023-03-01")
    for name in "CDEFG":
        b.referral(kids[name], "2024-02-29")
    b.referral(kids["F"], "2025-02-28")  # minus one year is 2024-02-28: 2024-02-29 counts
    b.referral(kids["G"], "2025-03-01")  # minus one year is 2024-03-01: 2024-02-29 does not
    measures_compute()
    assert stored(authority, "rereferrals_12m", "month", "2024-02-01") == (2, 5, "0.4000")
    assert stored(authority, "rereferrals_12m", "month", "2025-02-01") == (1, 1, "1.0000")
    assert stored(authority, "rereferrals_12m", "month", "2025-03-01") == (0, 1, "0.0000")
    # A month without referrals inside the range: a row with no value, not 0%.
    assert stored(authority, "rereferrals_12m", "month", "2023-06-01") == (0, 0, None)


def test_cp_plan_starts_and_repeat_plans(authority):
    twice, told, first = b.child(authority), b.child(authority), b.child(authority)
    b.cp_plan(twice, "2024-04-01", "2024-06-01")
    b.cp_plan(twice, "2024-06-30")  # the same child had an earlier plan
    b.cp_plan(told, "2024-05-15", previous=1)  # NumberOfPreviousCPP says so
    b.cp_plan(first, "2024-05-20", previous=0)
    measures_compute()
    assert stored(authority, "cp_plan_starts", "quarter", "2024-04-01") == (4, None, "4.0000")
    assert stored(authority, "repeat_cp_plans", "quarter", "2024-04-01") == (2, 4, "0.5000")
    assert stored(authority, "repeat_cp_plans", "month", "2024-04-01") == (0, 1, "0.0000")
    assert stored(authority, "repeat_cp_plans", "month", "2024-05-01") == (1, 2, "0.5000")
    assert stored(authority, "repeat_cp_plans", "month", "2024-06-01") == (1, 1, "1.0000")
    assert stored(authority, "cp_plan_starts", "year", "2024-04-01")[0] == 4


def test_cp_plans_ended_after_exactly_two_years(authority):
    leap, short, exact, day_short, still_open = (b.child(authority) for _ in range(5))
    b.cp_plan(leap, "2020-02-29", "2022-02-28")  # two years after 29 Feb 2020 is 28 Feb 2022
    b.cp_plan(short, "2020-03-01", "2022-02-28")
    b.cp_plan(exact, "2021-06-01", "2023-06-01")
    b.cp_plan(day_short, "2021-06-02", "2023-06-01")
    b.cp_plan(still_open, "2021-01-01")
    measures_compute()
    assert stored(authority, "cp_plans_ended_2y", "month", "2022-02-01") == (1, 2, "0.5000")
    assert stored(authority, "cp_plans_ended_2y", "month", "2023-06-01") == (1, 2, "0.5000")
    assert stored(authority, "cp_plans_ended_2y", "year", "2021-04-01") == (1, 2, "0.5000")
    assert stored(authority, "cp_plans_ended_2y", "year", "2020-04-01") == (0, 0, None)


def test_assessments_within_45_working_days_across_bank_holidays(authority):
    exact, late, quick, unauthorised, july = (b.child(authority) for _ in range(5))
    b.assessment(exact, "2024-03-28", "2024-06-05")  # 45 working days (Easter, 6 and 27 May)
    b.assessment(late, "2024-03-28", "2024-06-06")  # 46
    b.assessment(quick, "2024-06-28", "2024-06-30")  # last day of June and of Q1
    b.assessment(unauthorised, "2024-06-01", None)
    b.assessment(july, "2024-05-01", "2024-07-01")
    measures_compute()
    assert stored(authority, "assessments_45wd", "month", "2024-06-01") == (2, 3, "0.6667")
    assert stored(authority, "assessments_45wd", "quarter", "2024-04-01") == (2, 3, "0.6667")
    assert stored(authority, "assessments_45wd", "month", "2024-07-01") == (1, 1, "1.0000")
    assert stored(authority, "assessments_45wd", "year", "2024-04-01") == (3, 4, "0.7500")


def test_icpc_on_the_15th_working_day_counts_and_the_16th_does_not(authority):
    exact, late, weekend, none = (b.child(authority) for _ in range(4))
    b.section47(exact, "2023-12-20", "2024-01-15")  # 15 working days over Christmas and New Year
    b.section47(late, "2023-12-20", "2024-01-16")  # 16
    b.section47(weekend, "2024-03-01", "2024-03-04")  # Friday to Monday: 1
    b.section47(none, "2024-01-02", None)
    measures_compute()
    assert stored(authority, "icpc_15wd", "month", "2024-01-01") == (1, 2, "0.5000")
    assert stored(authority, "icpc_15wd", "quarter", "2024-01-01") == (2, 3, "0.6667")
    assert stored(authority, "icpc_15wd", "month", "2024-02-01") == (0, 0, None)


def test_cla_starts_count_only_new_episodes(authority):
    kid, other = b.child(authority), b.child(authority)
    b.episode(kid, "2024-03-31", "2024-04-15", rne="S")
    b.episode(kid, "2024-04-15", rne="P")  # a change of placement, not a start
    b.episode(other, "2024-04-01", rne="S")
    measures_compute()
    assert stored(authority, "cla_starts", "month", "2024-03-01") == (1, None, "1.0000")
    assert stored(authority, "cla_starts", "month", "2024-04-01") == (1, None, "1.0000")
    assert stored(authority, "cla_starts", "quarter", "2024-01-01")[0] == 1
    assert stored(authority, "cla_starts", "year", "2023-04-01")[0] == 1
    assert stored(authority, "cla_starts", "year", "2024-04-01")[0] == 1


def test_kinship_share_at_the_exact_period_end(authority):
    ended, started, other, two, before = (b.child(authority) for _ in range(5))
    b.episode(ended, "2024-04-01", "2024-04-30", place="U1")  # ends on the period end: not looked after
    b.episode(started, "2024-04-30", place="U2")  # starts on it: looked after, kinship
    b.episode(other, "2024-03-01", place="U4")
    # Two episodes covering 30 April: the child counts once, by the later one (U3).
    b.episode(two, "2024-01-10", "2024-05-20", place="U4")
    b.episode(two, "2024-04-15", place="U3")
    b.episode(before, "2024-04-10", "2024-04-29", place="U1")
    measures_compute()
    assert stored(authority, "kinship_share", "month", "2024-04-01") == (2, 3, "0.6667")
    assert stored(authority, "kinship_share", "month", "2024-03-01") == (0, 2, "0.0000")
    assert stored(authority, "kinship_share", "month", "2024-01-01") == (0, 1, "0.0000")
    assert stored(authority, "kinship_share", "month", "2024-05-01") == (2, 3, "0.6667")
    assert stored(authority, "kinship_share", "quarter", "2024-01-01") == (0, 2, "0.0000")
    assert stored(authority, "kinship_share", "quarter", "2024-04-01") == (2, 3, "0.6667")
    assert stored(authority, "kinship_share", "year", "2023-04-01") == (0, 2, "0.0000")
    assert stored(authority, "kinship_share", "year", "2024-04-01") == (2, 3, "0.6667")


def test_kinship_share_with_nobody_looked_after_has_no_value(authority):
    b.episode(b.child(authority), "2024-04-01", "2024-04-30", place="U1")
    measures_compute()
    assert stored(authority, "kinship_share", "month", "2024-04-01") == (0, 0, None)
    assert stored(authority, "cla_starts", "month", "2024-04-01") == (1, None, "1.0000")
