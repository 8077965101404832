"""The outcome dashboard, a measure's page and the drill-down to the audits behind a measure.

Stored values are made directly (``store``) or by the aggregation job on bulk-made cases. "Today"
is pinned to 15 January 2025, so the latest quarter that has ended is Q3 2024-25 (October to
December 2024) and Q4 2024-25 is in progress.
"""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from audits.models import Audit, AuditAnswer, AuditStatus, LearningAction, ToolVersion
from cases.models import Child, Referral
from outcomes import dashboard
from outcomes.charts import TrendPoint
from outcomes.dashboard import Node, Stored, measure_card, pick_quarter, quarters_back, reading, sections
from outcomes.models import MeasureTarget, MeasureValue
from outcomes.periods import period_starting
from outcomes.registry import MEASURES
from outcomes.services import measures_compute, rate_value
from tests.factories import AuthorityFactory, ChildFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 1, 15)
Q3 = "2024-10-01"  # Q3 2024-25, the latest quarter that has ended
Q2 = "2024-07-01"
Q4 = "2025-01-01"  # in progress


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr(dashboard, "today", lambda: TODAY)


# Authorities beyond Ashdown (991) and Brackenford (992): a benchmark needs five with a value.
OTHERS = (("993", "Calderbridge"), ("994", "Dunmere"), ("995", "Eastholm"), ("996", "Fernleigh"))
OTHER_NAMES = ("Brackenford", *(name for _, name in OTHERS))


@pytest.fixture
def others():
    """Four more authorities (993 to 996), with no figures yet."""
    return [AuthorityFactory(code=code, name=name) for code, name in OTHERS]


def store(authority, measure, start, numerator, denominator=None, *, team=None):
    """One stored quarterly value, as the aggregation job writes it."""
    period = period_starting("quarter", date.fromisoformat(start))
    is_rate = MEASURES[measure].is_rate
    return MeasureValue.objects.create(
        authority=authority,
        team=team,
        measure=measure,
        period_type="quarter",
        period_start=period.start,
        period_end=period.end,
        numerator=numerator,
        denominator=denominator if is_rate else None,
        value=rate_value(numerator, denominator or 0) if is_rate else Decimal(numerator),
        computed_at=timezone.now(),
    )


def html(response) -> str:
    return response.content.decode()


# Q3 2024-25 per authority, in the order Ashdown, Brackenford, Calderbridge, Dunmere, Eastholm:
# re-referrals (numerator, denominator) and the mean P1 level (sum of levels, ratings).
REREFERRALS = ((10, 40), (5, 50), (8, 20), (6, 20), (10, 50))  # 25%, 10%, 40%, 30%, 20%
P1_LEVELS = ((30, 10), (20, 10), (25, 10), (35, 10), (20, 10))  # 3.0, 2.0, 2.5, 3.5, 2.0


def with_figures(personas, others, count: int):
    """Authority-level figures for Q3 2024-25 in the first ``count`` authorities (Ashdown first),
    and Ashdown's re-referrals in Q2 and referrals in Q3."""
    authorities = [personas.authority_a, personas.authority_b, *others][:count]
    for authority, rate, levels in zip(authorities, REREFERRALS, P1_LEVELS, strict=False):
        store(authority, "rereferrals_12m", Q3, *rate)
        store(authority, "fidelity_p1", Q3, *levels)
    store(personas.authority_a, "rereferrals_12m", Q2, 9, 30)
    store(personas.authority_a, "referrals", Q3, 40)
    return personas


@pytest.fixture
def five_authorities(personas, others):
    """Re-referrals in Q3 2024-25: Ashdown 25.0% (3rd of 5, lower is better; median 25.0%, middle
    half 20.0%–30.0%); P1 levels with a median of 2.5; referrals 40 in Ashdown."""
    return with_figures(personas, others, 5)


@pytest.fixture
def four_authorities(personas, others):
    """As ``five_authorities`` without Eastholm: one authority short of a benchmark."""
    return with_figures(personas, others, 4)


# --- pure pieces ------------------------------------------------------------------------------------


def test_quarters_back_gives_the_trend_s_quarters_oldest_first():
    periods = quarters_back(period_starting("quarter", date(2024, 10, 1)), 8)
    assert [p.label for p in periods][:2] == ["Q4 2022-23", "Q1 2023-24"]
    assert periods[-1].label == "Q3 2024-25"
    assert len(periods) == 8


def test_the_default_quarter_is_the_latest_that_has_ended():
    available = [period_starting("quarter", date.fromisoformat(s)) for s in (Q2, Q3, Q4)]
    assert pick_quarter(available, None, TODAY).label == "Q3 2024-25"
    assert pick_quarter(available, date(2025, 1, 1), TODAY).label == "Q4 2024-25"
    assert pick_quarter(available, date(2019, 1, 1), TODAY).label == "Q3 2024-25"  # not one with values
    assert pick_quarter(available[2:], None, TODAY).label == "Q4 2024-25"  # none has ended yet
    assert pick_quarter([], None, TODAY) is None


def test_a_suppressed_reading_shows_nothing_derived_from_its_value():
    measure = MEASURES["rereferrals_12m"]
    period = period_starting("quarter", date(2024, 10, 1))
    peers = [Decimal(v) for v in ("0.1", "0.2", "0.2", "0.4", "0.5")]
    target = dashboard.Target(Decimal("0.5"), Decimal("0"))
    small = reading(measure, period, Stored(3, 20, Decimal("0.15")), peers=peers, target=target)
    assert small.value_text == "fewer than 5" and small.numerator_text == "fewer than 5"
    assert small.denominator_text == "20"
    assert small.suppressed and small.chart_value is None
    assert small.rag == "" and small.rank_text == "" and small.position == ""
    assert small.median_text == "20.0%"  # the benchmark itself is still shown
    shown = reading(measure, period, Stored(6, 20, Decimal("0.3")), peers=peers, target=target)
    assert shown.value_text == "30.0%" and shown.rag == "green" and shown.rank_text == "4th of 5"


def test_a_rate_with_nothing_to_count_has_no_value_not_zero():
    result = reading(
        MEASURES["rereferrals_12m"], period_starting("quarter", date(2024, 10, 1)), Stored(0, 0, None)
    )
    assert result.empty and result.value_text == "–" and result.chart_value is None


def test_a_team_is_not_ranked_among_authorities():
    measure = MEASURES["rereferrals_12m"]
    period = period_starting("quarter", date(2024, 10, 1))
    peers = [Decimal(v) for v in ("0.1", "0.15", "0.2", "0.25", "0.4")]
    result = reading(measure, period, Stored(7, 20, Decimal("0.35")), peers=peers, ranked=False)
    assert result.benchmark is not None and result.rank_text == ""
    assert result.position == "worse than most"


def test_sections_follow_the_tree_and_skip_empty_branches():
    nodes = [
        Node("outcomes", "Outcomes", "", None, 1),
        Node("outcomes.children_families", "Children and families", "", "outcomes", 1),
        Node("outcomes.children_families.rereferral", "Re-referrals", "", "outcomes.children_families", 1),
        Node("outcomes.workforce", "Workforce", "", "outcomes", 2),
        Node("practice_fidelity", "Practice fidelity", "", None, 2),
        Node("implementation_fidelity", "Implementation", "", None, 3),
    ]
    periods = [period_starting("quarter", date(2024, 10, 1))]
    cards = {
        key: measure_card(MEASURES[key], periods, {}, {}, None, for_team=False)
        for key in ("rereferrals_12m", "fidelity_overall", "audits_established", "fidelity_p1")
    }
    result = sections(nodes, cards, None)
    assert [s.node.key for s in result] == ["outcomes", "practice_fidelity"]  # implementation is empty
    outcomes, practice = result
    assert [g.node.key for g in outcomes.groups] == ["outcomes.children_families"]  # not workforce
    assert [p.card.key for p in outcomes.groups[0].cards] == ["rereferrals_12m"]
    # The element measures are shown together, not as cards in the tree.
    assert [p.card.key for p in practice.groups[0].cards] == ["fidelity_overall", "audits_established"]


def test_a_card_s_trend_carries_the_benchmark_band_in_quarters_with_five_authorities():
    measure = MEASURES["rereferrals_12m"]
    periods = quarters_back(period_starting("quarter", date(2024, 10, 1)), 3)
    own = {(measure.key, p.start): Stored(10, 40, Decimal("0.25")) for p in periods}
    five = [Decimal(v) for v in ("0.1", "0.2", "0.25", "0.3", "0.4")]
    peers = {(measure.key, periods[1].start): five[1:], (measure.key, periods[2].start): five}
    card = measure_card(measure, periods, own, peers, None, for_team=False)
    assert card.points == [
        TrendPoint("Q1 2024-25", 0.25, None),  # no other authority
        TrendPoint("Q2 2024-25", 0.25, None),  # four authorities
        TrendPoint("Q3 2024-25", 0.25, (0.2, 0.3)),
    ]
    assert [r.rank_text for r in card.readings] == ["", "", "3rd of 5"]
    assert card.has_quarters_without_benchmark


# --- the dashboard page -----------------------------------------------------------------------------


def card_of(response, key: str):
    return next(
        card
        for section in response.context["page"].sections
        for group in section.groups
        for card in group.all_cards
        if card.key == key
    )


def test_a_leader_sees_the_dashboard_with_trend_target_and_benchmark(five_authorities, login):
    p = five_authorities
    MeasureTarget.objects.create(
        authority=p.authority_a, measure="rereferrals_12m", target=Decimal("0.2"), tolerance=Decimal("0.1")
    )
    response = login(p.leah).get("/outcomes/")
    assert response.status_code == 200
    text = html(response)
    assert "Q3 2024-25" in text
    for section in (
        "Outcomes",
        "Practice fidelity (depth of practice)",
        "Implementation fidelity (organisation)",
    ):
        assert section in text
    card = card_of(response, "rereferrals_12m")
    assert card.current.value_text == "25.0%"
    assert card.current.rank_text == "3rd of 5"
    assert card.current.rag == "amber"
    assert len(card.readings) == 8
    assert "10 of 40" in text
    assert "Close to target" in text
    assert "median 25.0% · middle half 20.0%–30.0%" in text and "3rd of 5" in text
    assert "<svg" in text


def test_a_leader_follows_a_measure_to_its_trend_and_benchmark(five_authorities, login):
    client = login(five_authorities.leah)
    text = html(client.get("/outcomes/"))
    link = re.search(r'href="(/outcomes/rereferrals_12m/\?[^"]*)"', text)
    assert link is not None
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    page = html(response)
    assert "Trend, Q4 2021-22 to Q3 2024-25" in page and "<svg" in page
    assert 'data-testid="rank">3rd of 5' in page
    assert "25.0% across 5 authorities" in page


def test_the_benchmark_never_names_another_authority_to_a_leader(five_authorities, login):
    for url in ("/outcomes/", "/outcomes/rereferrals_12m/", "/outcomes/fidelity_p1/audits/"):
        text = html(login(five_authorities.leah).get(url))
        assert "Ashdown" in text
        for name in OTHER_NAMES:
            assert name not in text, (url, name)


def all_readings(page):
    return [
        reading
        for section in page.sections
        for group in section.groups
        for card in group.all_cards
        for reading in card.readings
    ]


RANK = re.compile(r"\d(st|nd|rd|th) of \d")


def without_legend(text: str) -> str:
    """The page without "How to read these figures", whose example rank is no one's."""
    shorter = re.sub(r'<details class="card mb-3" data-testid="legend">.*?</details>', "", text, flags=re.S)
    assert len(shorter) < len(text)
    return shorter


NO_BENCHMARK = "No benchmark: it needs at least five authorities with a value"


def test_four_authorities_give_no_benchmark_anywhere(four_authorities, login):
    """Four values would let an authority work the others out: no median, band or rank, on the
    cards, the trends, the element chart and table, or the measure's page."""
    client = login(four_authorities.leah)
    response = client.get("/outcomes/")
    text = without_legend(html(response))
    assert all(r.benchmark is None and r.rank_text == "" for r in all_readings(response.context["page"]))
    card = card_of(response, "rereferrals_12m")
    assert card.current.value_text == "25.0%" and card.current.position == ""
    assert all(point.band is None for point in card.points)
    assert NO_BENCHMARK in text
    # Re-referrals 10%, 25%, 30%, 40%: median 27.5%, quartiles 21.25% and 32.5%.
    for figure in ("27.5%", "21.2%", "21.3%", "32.5%"):
        assert figure not in text
    assert "<dt>Rank</dt>" not in text and "<dt>Compared</dt>" not in text and not RANK.search(text)
    assert "Middle half of authorities" not in text  # no band in any trend chart
    # The elements: no median tick in the chart (P1 medians would be 2.75), none in the table.
    assert "Median of authorities" not in text and "the black tick is the median" not in text
    assert "no median of authorities: it needs at least five with a value" in text
    assert "2.8</td>" not in text
    page = html(client.get("/outcomes/rereferrals_12m/"))
    assert "None this quarter: a benchmark needs at least five authorities with a value" in page
    assert 'data-testid="rank"' not in page and "across 4 authorities" not in page
    assert "Middle half of authorities" not in page and not RANK.search(page)
    assert 'data-testid="benchmark-note"' in page
    for figure in ("27.5%", "21.2%", "21.3%", "32.5%"):
        assert figure not in page


def test_five_authorities_give_the_benchmark_everywhere(five_authorities, login):
    client = login(five_authorities.leah)
    response = client.get("/outcomes/")
    text = html(response)
    card = card_of(response, "rereferrals_12m")
    assert card.current.benchmark is not None and card.current.benchmark.authorities == 5
    assert card.points[-1].band == (0.2, 0.3) and card.points[-2].band is None  # Q2: Ashdown only
    assert "median 25.0% · middle half 20.0%–30.0%" in text
    assert "<dt>Rank</dt><dd>3rd of 5, in the middle half</dd>" in text
    assert "Middle half of authorities" in text
    assert NO_BENCHMARK not in text.split('data-measure="rereferrals_12m"')[1].split("</article>")[0]
    # The elements: P1 levels 2.0, 2.0, 2.5, 3.0, 3.5 have a median of 2.5.
    assert "Median of authorities" in text and "the black tick is the median of authorities" in text
    assert card_of(response, "fidelity_p1").current.median_text == "2.5 of 4"
    assert '<td class="num">2.5</td>' in text
    page = html(client.get("/outcomes/rereferrals_12m/"))
    assert 'data-testid="rank">3rd of 5, in the middle half' in page
    assert "25.0% across 5 authorities" in page and "20.0%–30.0%" in page
    assert "Middle half of authorities" in page


def test_small_numbers_are_suppressed(personas, others, login):
    a = personas.authority_a
    store(a, "referrals", Q3, 3)
    store(a, "rereferrals_12m", Q3, 3, 20)
    # Five other authorities: a benchmark without Ashdown's suppressed value.
    for authority, rate in zip((personas.authority_b, *others), REREFERRALS, strict=True):
        store(authority, "rereferrals_12m", Q3, *rate)
    MeasureTarget.objects.create(authority=a, measure="rereferrals_12m", target=Decimal("0.5"))
    response = login(personas.leah).get("/outcomes/")
    text = html(response)
    assert "fewer than 5 of 20" in text
    assert "15.0%" not in text and "3 of 20" not in text
    # A suppressed value gets no status (15% would be on target) and no rank.
    card = card_of(response, "rereferrals_12m")
    assert card.current.rag == "" and card.current.rank_text == "" and card.current.position == ""
    assert card.current.benchmark is not None and card.current.benchmark.authorities == 5
    assert "No status: small numbers" in text
    page = html(login(personas.leah).get("/outcomes/referrals/"))
    assert "fewer than 5" in page
    assert '<span class="fw-semibold">3</span>' not in page and ">3<" not in page


def test_the_quarter_filter_swaps_the_content_with_htmx(five_authorities, login):
    client = login(five_authorities.leah)
    full = html(client.get("/outcomes/"))
    assert 'hx-get="/outcomes/"' in full and 'hx-push-url="true"' in full
    assert 'value="2024-10-01" selected' in full
    partial = client.get("/outcomes/", {"quarter": Q2}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    text = html(partial)
    assert "<html" not in text and "Q2 2024-25" in text
    assert partial["Vary"] and "HX-Request" in partial["Vary"]
    # A history restore gets the whole page back.
    restore = client.get("/outcomes/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in html(restore)


def test_the_quarter_in_progress_is_selectable_but_not_the_default(five_authorities, login):
    store(five_authorities.authority_a, "rereferrals_12m", Q4, 2, 10)
    client = login(five_authorities.leah)
    text = html(client.get("/outcomes/"))
    assert "Q4 2024-25 (in progress)" in text
    assert response_period(client.get("/outcomes/")) == "Q3 2024-25"
    assert response_period(client.get("/outcomes/", {"quarter": Q4})) == "Q4 2024-25"
    assert response_period(client.get("/outcomes/", {"quarter": "not a date"})) == "Q3 2024-25"


def response_period(response) -> str:
    return response.context["page"].period.label


def test_a_team_filter_shows_the_team_s_values(five_authorities, login):
    p = five_authorities
    store(p.authority_a, "rereferrals_12m", Q3, 7, 10, team=p.team_a)
    response = login(p.leah).get("/outcomes/", {"team": p.team_a.pk})
    assert response.status_code == 200
    assert "7 of 10" in html(response) and "70.0%" in html(response)
    assert response.context["page"].team == p.team_a


def test_a_team_manager_filters_by_their_own_team_only(five_authorities, login):
    p = five_authorities
    client = login(p.bob)
    response = client.get("/outcomes/")
    assert response.status_code == 200
    assert [t.pk for t in response.context["page"].teams] == [p.team_a.pk]
    assert "Front Door" not in html(response)
    assert client.get("/outcomes/", {"team": p.team_a.pk}).status_code == 200
    assert client.get("/outcomes/", {"team": p.team_a2.pk}).status_code == 404
    assert client.get("/outcomes/rereferrals_12m/", {"team": p.team_a2.pk}).status_code == 404


def test_practitioners_and_people_without_an_authority_get_no_dashboard(personas, login):
    for user in (personas.alice, personas.charlie, personas.ana, personas.pat):
        assert login(user).get("/outcomes/").status_code == 403
        assert login(user).get("/outcomes/rereferrals_12m/").status_code == 403


def test_charlie_and_quentin_see_nothing_of_authority_a(five_authorities, login):
    p = five_authorities
    store(p.authority_a, "rereferrals_12m", Q3, 7, 10, team=p.team_a)
    # charlie is a practitioner in B: no dashboard at all.
    assert login(p.charlie).get("/outcomes/", {"team": p.team_a.pk}).status_code == 403
    # quentin, B's QA lead, sees B's dashboard and no figure or team of A.
    client = login(p.quentin)
    response = client.get("/outcomes/")
    assert response.status_code == 200
    assert response.context["page"].authority == p.authority_b
    text = html(response)
    assert "Brackenford" in text and "Ashdown" not in text
    assert not any(name in text for name in OTHER_NAMES[1:])
    assert "5 of 50" in text and "10 of 40" not in text
    assert "Child Protection North" not in text
    assert client.get("/outcomes/", {"team": p.team_a.pk}).status_code == 404
    assert client.get("/outcomes/rereferrals_12m/", {"team": p.team_a.pk}).status_code == 404
    assert client.get("/outcomes/fidelity_p1/audits/", {"team": p.team_a.pk}).status_code == 404


def test_the_dashboard_reads_a_fixed_number_of_queries_for_10_and_1000_cases(
    personas, others, login, django_assert_num_queries
):
    """Cases are children with referrals, bulk-made; the job stores their values."""
    a = personas.authority_a
    client = login(personas.leah)

    def add_cases(first: int, count: int) -> None:
        children = Child.objects.bulk_create(
            Child(authority=a, team=personas.team_a if n % 2 else None, la_child_id=f"B{n:05d}")
            for n in range(first, first + count)
        )
        referrals = [
            Referral(child=child, referral_date=date(2023, 4, 1) + timedelta(days=(n * 7) % 630))
            for n, child in enumerate(children)
        ]
        # Every third child is referred again within the year.
        referrals += [
            Referral(child=child, referral_date=date(2024, 10, 2) + timedelta(days=n % 80))
            for n, child in enumerate(children)
            if n % 3 == 0
        ]
        Referral.objects.bulk_create(referrals)
        measures_compute(authority_ids=[a.pk])

    add_cases(0, 10)
    urls = ["/outcomes/", "/outcomes/rereferrals_12m/", "/outcomes/fidelity_p1/audits/"]
    counts = {}
    for url in urls:
        client.get(url)  # draws and caches the charts
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[url] = len(queries)
    small = client.get("/outcomes/").context["page"].period

    add_cases(10, 990)
    assert Child.objects.filter(authority=a).count() == 1000
    for url in urls:
        client.get(url)  # the new values' benchmark and charts, cached
        with django_assert_num_queries(counts[url]):
            response = client.get(url)
        assert response.status_code == 200
    assert client.get("/outcomes/").context["page"].period == small


def test_targets_show_red_amber_green_with_a_text_label(five_authorities, login):
    p = five_authorities
    MeasureTarget.objects.create(authority=p.authority_a, measure="rereferrals_12m", target=Decimal("0.1"))
    text = html(login(p.leah).get("/outcomes/"))
    assert 'class="badge rag rag-red"' in text and "Off target" in text


# --- a measure's page -------------------------------------------------------------------------------


def test_a_measure_page_shows_its_trend_quarters_definition_and_teams(five_authorities, login):
    p = five_authorities
    store(p.authority_a, "rereferrals_12m", Q3, 6, 12, team=p.team_a)
    store(p.authority_a, "rereferrals_12m", Q3, 2, 9, team=p.team_a2)
    store(p.authority_b, "rereferrals_12m", Q3, 3, 9, team=p.team_b)
    response = login(p.leah).get("/outcomes/rereferrals_12m/")
    assert response.status_code == 200
    text = html(response)
    page = response.context["page"]
    assert len(page.card.readings) == 12
    assert MEASURES["rereferrals_12m"].numerator in text
    assert MEASURES["rereferrals_12m"].denominator in text
    assert "Lower is better" in text
    assert "Q2 2024-25" in text and "Q3 2024-25" in text
    assert [(row.team.name, row.reading.value_text) for row in page.by_team] == [
        ("Child Protection North", "50.0%"),
        ("Front Door", "fewer than 5"),
    ]
    assert "Assessment Team" not in text
    assert 'data-testid="drill-down"' not in text  # a case measure has no audits behind it


def test_unknown_measures_and_drill_downs_of_case_measures_are_404(personas, login):
    client = login(personas.leah)
    assert client.get("/outcomes/no_such_measure/").status_code == 404
    assert client.get("/outcomes/no_such_measure/audits/").status_code == 404
    assert client.get("/outcomes/rereferrals_12m/audits/").status_code == 404


# --- the drill-down ---------------------------------------------------------------------------------


@pytest.fixture
def v1() -> ToolVersion:
    return ToolVersion.objects.get(tool__key="case-audit", number=1)


def signed_off(authority, team, version, *, levels, at: datetime, overall: int = 3) -> Audit:
    practitioner, auditor = cast(User, UserFactory()), cast(User, UserFactory())
    MembershipFactory(user=practitioner, authority=authority, team=team, role=Role.PRACTITIONER)
    audit = Audit.objects.create(
        authority=authority,
        child=cast(Child, ChildFactory(authority=authority, team=team)),
        team=team,
        tool_version=version,
        practitioner=practitioner,
        auditor=auditor,
        status=AuditStatus.SIGNED_OFF,
        overall_level=overall,
        signed_off_at=at,
    )
    AuditAnswer.objects.bulk_create(
        AuditAnswer(audit=audit, item_key=key, agreed_level=level, self_level=level)
        for key, level in levels.items()
    )
    return audit


NOV = datetime(2024, 11, 12, 12, tzinfo=UTC)


def test_the_drill_down_lists_only_the_audits_the_user_may_open(personas, v1, login):
    p = personas
    north = signed_off(p.authority_a, p.team_a, v1, levels={"p1": 3, "p6": 2}, at=NOV)
    door = signed_off(p.authority_a, p.team_a2, v1, levels={"p1": 4}, at=NOV)
    earlier = signed_off(p.authority_a, p.team_a, v1, levels={"p1": 2}, at=datetime(2024, 8, 1, tzinfo=UTC))
    other = signed_off(p.authority_b, p.team_b, v1, levels={"p1": 1}, at=NOV)
    measures_compute(authority_ids=[p.authority_a.pk, p.authority_b.pk])

    def listed(user, key="fidelity_p1", **params):
        response = login(user).get(f"/outcomes/{key}/audits/", params)
        assert response.status_code == 200
        return [row.audit_id for row in response.context["page"].rows], html(response)

    ids, text = listed(p.leah, quarter=Q3)
    assert ids == [north.pk, door.pk]
    assert f'href="/audits/{north.pk}/"' in text and "3 Established" in text and "3.0 of 4" in text
    assert listed(p.leah, quarter=Q2)[0] == [earlier.pk]
    assert listed(p.leah, quarter=Q3, team=p.team_a2.pk)[0] == [door.pk]
    # Only audits with an answer the measure reads: P6 was rated in one audit.
    assert listed(p.leah, key="fidelity_p6", quarter=Q3)[0] == [north.pk]
    # bob manages team_a: he opens its audits only, whether or not he filters by team.
    assert listed(p.bob, quarter=Q3)[0] == [north.pk]
    assert login(p.bob).get("/outcomes/fidelity_p1/audits/", {"team": p.team_a2.pk}).status_code == 404
    # quentin, QA lead of B, sees B's audit and never A's.
    ids, text = listed(p.quentin, quarter=Q3)
    assert ids == [other.pk]
    assert f"/audits/{north.pk}/" not in text and f"/audits/{door.pk}/" not in text


def test_the_drill_down_reads_a_fixed_number_of_queries(personas, v1, login, django_assert_num_queries):
    p = personas
    signed_off(p.authority_a, p.team_a, v1, levels={"p1": 3}, at=NOV)
    measures_compute(authority_ids=[p.authority_a.pk])
    client = login(p.leah)
    for key in ("fidelity_p1", "audits_established", "family_participation", "moderation_agreement"):
        client.get(f"/outcomes/{key}/audits/")
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/outcomes/{key}/audits/")
        one = len(queries)
        for _ in range(4):
            signed_off(p.authority_a, p.team_a2, v1, levels={"p1": 2}, at=NOV)
        with django_assert_num_queries(one):
            assert client.get(f"/outcomes/{key}/audits/").status_code == 200


def test_a_measure_page_of_an_audit_measure_links_to_its_audits(personas, v1, login):
    signed_off(personas.authority_a, personas.team_a, v1, levels={"p1": 3}, at=NOV)
    measures_compute(authority_ids=[personas.authority_a.pk])
    text = html(login(personas.leah).get("/outcomes/fidelity_p1/"))
    assert 'data-testid="drill-down"' in text
    assert f'href="/outcomes/fidelity_p1/audits/?quarter={Q3}"' in text


def test_the_learning_actions_behind_actions_on_time(personas, v1, login):
    p = personas
    audit = signed_off(p.authority_a, p.team_a, v1, levels={"p1": 3}, at=NOV)
    owner = p.bob
    LearningAction.objects.create(
        audit=audit,
        team=p.team_a,
        description="Update the safety plan with the network",
        owner=owner,
        created_by=owner,
        due_on=date(2024, 11, 30),
        completed_on=date(2024, 11, 20),
    )
    LearningAction.objects.create(
        team=p.team_a2,
        kind="team",
        description="Team learning point on scaling",
        owner=owner,
        created_by=owner,
        due_on=date(2024, 12, 10),
    )
    measures_compute(authority_ids=[p.authority_a.pk])
    response = login(p.leah).get("/outcomes/actions_on_time/audits/", {"quarter": Q3})
    rows = response.context["page"].rows
    assert [row.title for row in rows] == [
        "Update the safety plan with the network",
        "Team learning point on scaling",
    ]
    assert rows[0].detail == "Completed 20 Nov 2024 (on time)" and rows[1].detail == "Not completed"
    assert f'href="/audits/{audit.pk}/"' in html(response)
    # bob sees his team's action, not the other team's learning point.
    rows = login(p.bob).get("/outcomes/actions_on_time/audits/", {"quarter": Q3}).context["page"].rows
    assert [row.title for row in rows] == ["Update the safety plan with the network"]


def test_the_benchmark_is_read_once_per_version_of_the_stored_values(personas, others, login):
    """The other authorities' values are read on the first request after the job writes values,
    then kept: a later request reads the version only, and a new job run is seen at once."""
    store(personas.authority_a, "rereferrals_12m", "2024-04-01", 20, 100)
    client = login(personas.leah)
    client.get("/outcomes/")
    with CaptureQueriesContext(connection) as first:
        client.get("/outcomes/")
    peers = [q for q in first.captured_queries if '"value" IS NOT NULL' in q["sql"]]
    assert peers == []  # kept from the request before
    measures_compute(authority_ids=[personas.authority_b.pk])
    with CaptureQueriesContext(connection) as after_job:
        client.get("/outcomes/")
    assert len(after_job.captured_queries) == len(first.captured_queries) + 1


def test_a_team_that_counted_nothing_reads_0_where_its_authority_has_a_value(five_authorities, login):
    """Teams store a value only where something was counted (the aggregation job): a team reads 0
    where its authority has a value and the team none, and nothing where its authority has none."""
    p = five_authorities  # Ashdown: 40 referrals in Q3, re-referrals 25.0%; no team values
    store(p.authority_a, "referrals", Q3, 3, team=p.team_a2)
    quarters = [period_starting("quarter", date.fromisoformat(start)) for start in ("2024-07-01", Q3)]

    def own(team):
        return dashboard.own_values(authority_id=p.authority_a.pk, team_id=team.pk, periods=quarters)

    q3 = date.fromisoformat(Q3)
    assert own(p.team_a)[("referrals", q3)] == Stored(0, None, Decimal(0))
    assert own(p.team_a2)[("referrals", q3)] == Stored(3, None, Decimal(3))
    assert ("referrals", date(2024, 7, 1)) not in own(p.team_a)  # the authority has no value there
    assert own(p.team_a)[("rereferrals_12m", q3)] == Stored(0, 0, None)  # a rate: no value
    response = login(p.leah).get("/outcomes/", {"team": p.team_a.pk})
    assert response.status_code == 200
