"""What the report reads: a fixed number of queries, stored values only, de-identified benchmarks."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from outcomes.models import MeasureTarget
from outcomes.presentation import SUPPRESSED
from reports import quarters, selectors, services
from reports.models import ReportBranding
from tests.factories import AuthorityFactory
from tests.reports.builders import store_rates, store_values

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


# Per authority, Ashdown first: assessments on time (of 20) and P1 levels (sum of levels, ratings),
# in the report's quarter and the one before.
ASSESSMENTS = ((16, 20), (12, 20), (18, 20), (10, 20), (14, 20))  # 80%, 60%, 90%, 50%, 70%
P1_LEVELS = ((30, 10), (20, 10), (25, 10), (35, 10), (20, 10))  # 3.0, 2.0, 2.5, 3.5, 2.0


def with_rates(personas, count: int, *, last=None) -> None:
    """Rates and means in the first ``count`` authorities; ``last`` replaces the last one's
    assessments."""
    extra = [AuthorityFactory(code=str(993 + n), name=f"Authority {993 + n}") for n in range(count - 2)]
    authorities = [personas.authority_a, personas.authority_b, *extra]
    figures = list(zip(authorities, ASSESSMENTS, P1_LEVELS, strict=False))
    if last is not None:
        figures[-1] = (figures[-1][0], last, figures[-1][2])
    for authority, assessments, levels in figures:
        for start in (LAST, quarters.shift(LAST, -1)):
            store_rates(authority, start, assessments_45wd=assessments, fidelity_p1=levels)


def every_line(content) -> list[selectors.MeasureLine]:
    lines = [
        *content.headline,
        *content.outcomes,
        *content.timeliness,
        *content.fidelity,
        *content.fidelity_table,
        *content.voice.lines,
        *(row.line for row in content.elements),
    ]
    return lines + ([content.learning.line] if content.learning.line else [])


def test_four_authorities_give_no_benchmark_in_the_report(personas):
    """No median, quartiles, band or rank anywhere: not in the trends, the benchmark table or the
    element medians, and the page says why."""
    with_rates(personas, 4)
    content = selectors.report_content(authority=personas.authority_a, quarter_start=LAST)
    lines = every_line(content)
    timeliness = next(line for line in lines if line.key == "assessments_45wd")
    assert timeliness.shown == "80.0%"
    for line in lines:
        assert line.benchmark is None, line.key
        assert (line.median_text, line.quartiles_text, line.rank_text, line.position) == ("", "", "", "")
        assert all(point.band is None for point in line.trend), line.key
    assert content.benchmarks == [] and not content.has_element_medians
    html = services.report_html(content)
    assert "There is no benchmark for this quarter: a benchmark needs at least five authorities" in html
    assert "no median of the authorities, as a benchmark needs at least five authorities" in html
    # 50%, 60%, 80%, 90%: the median and quartiles would be 70.0%, 57.5% and 82.5%.
    for figure in ("70.0%", "57.5%", "82.5%"):
        assert figure not in html
    assert not re.search(r"\d(st|nd|rd|th) of \d", html)


def test_five_authorities_give_the_benchmark_in_the_report(personas):
    with_rates(personas, 5)
    content = selectors.report_content(authority=personas.authority_a, quarter_start=LAST)
    line = next(line for line in content.timeliness if line.key == "assessments_45wd")
    assert line.benchmark is not None and line.benchmark.authorities == 5
    assert (line.median_text, line.quartiles_text) == ("70.0%", "60.0% to 80.0%")
    assert (line.rank_text, line.position) == ("2nd of 5", "top quarter")  # only 90% is better
    assert [point.band for point in line.trend][-3:] == [None, (0.6, 0.8), (0.6, 0.8)]
    assert [benchmarked.key for benchmarked in content.benchmarks] == ["assessments_45wd"]
    assert content.has_element_medians
    p1 = next(row.line for row in content.elements if row.key == "P1")
    assert p1.median_text == "2.5 of 4"
    html = services.report_html(content)
    assert "the black mark is the median of the authorities" in html
    assert "70.0% of 5 authorities" in html and "2nd of 5, top quarter" in html
    assert "There is no benchmark for this quarter" not in html


def test_a_value_too_small_to_show_does_not_count_towards_the_five(personas):
    """As on the dashboard: 3 of 20 is shown as "fewer than 5", and left out of the benchmark."""
    with_rates(personas, 5, last=(3, 20))
    content = selectors.report_content(authority=personas.authority_a, quarter_start=LAST)
    line = next(line for line in content.timeliness if line.key == "assessments_45wd")
    assert line.benchmark is None and content.benchmarks == []


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
