"""What the report reads: a fixed number of queries, stored values only, de-identified benchmarks."""

from decimal import Decimal

import pytest
from django.utils import timezone

from outcomes.models import MeasureTarget
from outcomes.presentation import SUPPRESSED
from reports import quarters, selectors
from reports.models import ReportBranding
from tests.factories import AuthorityFactory
from tests.reports.builders import store_values

LAST = quarters.last_complete_quarter(timezone.localdate())


@pytest.fixture
def three(personas):
    c = AuthorityFactory(code="993", name="Calderbridge")
    for authority, referrals in ((personas.authority_a, 12), (personas.authority_b, 30), (c, 3)):
        store_values(authority, LAST, referrals=referrals)
        store_values(authority, quarters.shift(LAST, -1), referrals=referrals + 1)
    return personas


def test_the_report_reads_a_fixed_number_of_queries(three, django_assert_num_queries):
    with django_assert_num_queries(selectors.REPORT_QUERIES):
        content = selectors.report_content(authority=three.authority_a, quarter_start=LAST)
    referrals = next(line for line in content.headline if line.key == "referrals")
    assert (referrals.shown, referrals.previous, referrals.year_ago) == ("12", "13", "no value")
    assert content.has_data


def test_small_counts_are_suppressed_and_never_charted(personas):
    store_values(personas.authority_a, LAST, referrals=3)
    content = selectors.report_content(authority=personas.authority_a, quarter_start=LAST)
    referrals = next(line for line in content.outcomes if line.key == "referrals")
    assert referrals.shown == SUPPRESSED and referrals.numerator_text == SUPPRESSED
    assert referrals.trend[-1].value is None


def test_counts_have_no_benchmark_and_no_authority_is_named(three):
    content = selectors.report_content(authority=three.authority_a, quarter_start=LAST)
    assert all(line.benchmark is None for line in content.outcomes if line.unit == "count")
    assert "Brackenford" not in repr(content) and "Calderbridge" not in repr(content)


def test_targets_give_a_status_unless_the_value_is_hidden(personas):
    store_values(personas.authority_a, LAST, referrals=12, cla_starts=2)
    for key in ("referrals", "cla_starts"):
        MeasureTarget.objects.create(authority=personas.authority_a, measure=key, target=Decimal(10))
    content = selectors.report_content(authority=personas.authority_a, quarter_start=LAST)
    lines = {line.key: line for line in content.outcomes}
    assert (lines["referrals"].target_text, lines["referrals"].rag) == (
        "10",
        "",
    )  # neither direction is better
    assert lines["cla_starts"].rag == "" and lines["cla_starts"].is_suppressed


def test_branding_defaults_and_bad_colours(personas):
    default = selectors.branding_of(None)
    assert (default.primary, default.accent, default.logo) == ("#1f4e79", "#c55a11", "")
    row = ReportBranding(
        authority=personas.authority_a, primary_colour="red;}", introduction="One.\n\n\nTwo\nlines."
    )
    branding = selectors.branding_of(row)
    assert branding.primary == "#1f4e79" and branding.introduction == ["One.", "Two lines."]


def test_the_definitions_cover_every_measure_once(db):
    from outcomes.registry import MEASURES

    definitions = selectors.definitions({})
    keys = {definition.key for definition in definitions}
    assert keys == {key for key in MEASURES if key not in selectors.ELEMENT_MEASURES} | {"fidelity_elements"}
    elements = next(d for d in definitions if d.key == "fidelity_elements")
    assert "P1" not in elements.numerator and "the element's item" in elements.numerator


@pytest.mark.parametrize(
    "values, shown",
    [([0, 0], "0"), ([12, 7], "19"), ([2, 1], "fewer than 5"), ([12, 3], "not shown"), ([12, 3, 2], "17")],
)
def test_a_total_never_gives_a_hidden_count_away(values, shown):
    assert selectors.total_text(values) == shown
