"""Groups under five are suppressed everywhere; the comparison needs five authorities of five."""

import pytest

from accounts.models import Authority
from surveys import selectors, services
from surveys.selectors import _team_groups
from tests.factories import AuthorityFactory, TeamFactory
from tests.surveys.builders import baseline_wave, follow_up_wave, respond

pytestmark = pytest.mark.django_db


def _wave(wave):
    return type(wave).objects.select_related("tool_version__tool", "baseline").get(pk=wave.pk)


def test_an_authority_under_five_shows_no_figures(personas):
    wave = baseline_wave()
    respond(wave, personas.authority_a, 4, agree=5, text="Only four of us")
    content = services.report_content(authority=personas.authority_a, wave=_wave(wave))
    assert not content.shown
    assert content.responses_now_text == "fewer than 5"
    assert content.columns == [] and content.teams == []
    assert all(not item.now.shares and item.now.mean is None for item in content.items)
    html = services.report_html(content).split("<body", 1)[1]  # the page, not its style sheet
    assert "fewer than 5" in html.lower()
    assert "Only four of us" not in html and "100%" not in html
    rows = services.export_rows(content)
    assert all(row[6:8] == ["", ""] and row[9] == "fewer than 5" for row in rows[1:])


def test_a_baseline_under_five_is_suppressed_beside_a_follow_up_that_is_not(personas):
    base = baseline_wave()
    follow = follow_up_wave(base)
    respond(base, personas.authority_a, 3, agree=1)
    respond(follow, personas.authority_a, 6, agree=4)
    content = selectors.report_content(authority=personas.authority_a, wave=_wave(follow))
    item = next(i for i in content.items if i.key == "climate-teamwork")
    assert item.positive_text == "100%"
    assert item.baseline_mean_text == "fewer than 5"
    assert item.positive_change_text == "–" and item.mean_change_text == "–"


def test_small_teams_are_hidden_and_so_is_a_team_that_would_give_them_away(personas):
    wave = baseline_wave()
    respond(wave, personas.authority_a, 6, team=personas.team_a)
    respond(wave, personas.authority_a, 2, team=personas.team_a2)
    content = selectors.report_content(authority=personas.authority_a, wave=_wave(wave))
    rows = {row.name: row for row in content.teams}
    # Showing Child Protection North (6) beside the total (8) would reveal the Front Door's two.
    assert not rows["Child Protection North"].shown and not rows["Front Door"].shown
    assert rows["Front Door"].responses_text == "fewer than 5"
    assert rows["Child Protection North"].scores == ["–", "–", "–"]


def test_team_groups_rule():
    assert _team_groups({1: 6, 2: 2}) == set()
    assert _team_groups({1: 6, 2: 7, None: 2}) == {2}  # the smallest shown one joins the hidden
    assert _team_groups({1: 6, 2: 3, 3: 3}) == {1}  # hidden ones add up to six
    assert _team_groups({1: 5, 2: 9}) == {1, 2}


def _authorities(count):
    return [AuthorityFactory(code=f"{900 + n}", name=f"Other {n}") for n in range(count)]


def test_the_comparison_needs_five_authorities_with_five_answers(personas):
    wave = baseline_wave()
    respond(wave, personas.authority_a, 5, scale=8)
    others = _authorities(3)
    for n, authority in enumerate(others):
        respond(wave, authority, 5, scale=3 + n)
    respond(wave, personas.authority_b, 4, scale=10)  # under five: does not count
    content = selectors.report_content(authority=personas.authority_a, wave=_wave(wave))
    assert content.comparison_authorities == 4
    assert all(item.comparison.benchmark is None for item in content.comparisons)

    respond(wave, personas.authority_b, 1, scale=10)
    content = selectors.report_content(authority=personas.authority_a, wave=_wave(wave))
    conf = next(item for item in content.comparisons if item.key == "conf-map")
    assert content.comparison_authorities == 5
    assert conf.comparison.median_text == "5.0"
    assert conf.comparison.band_text == "4.0–8.0"
    assert conf.comparison.position == "in the middle half"
    html = services.report_html(content)
    for authority in Authority.objects.exclude(pk=personas.authority_a.pk):
        assert authority.name not in html


def test_open_answers_are_sorted_not_in_the_order_written(personas):
    wave = baseline_wave()
    for text in ["Zebra crossing", "Apples", "Middle"]:
        respond(wave, personas.authority_a, 2, text=text)
    content = selectors.report_content(authority=personas.authority_a, wave=_wave(wave))
    column = next(c for c in content.columns if c.key == "what-working-well")
    assert column.answers == sorted(column.answers)
    assert column.label == "What is working well"


def test_report_reads_in_a_fixed_number_of_queries(personas, django_assert_num_queries):
    base = baseline_wave()
    follow = follow_up_wave(base)
    teams = [personas.team_a, personas.team_a2, TeamFactory(authority=personas.authority_a, name="Third")]
    for team in teams:
        respond(base, personas.authority_a, 2, team=team, text="x")
        respond(follow, personas.authority_a, 2, team=team, text="y")
    wave = _wave(follow)
    with django_assert_num_queries(selectors.REPORT_QUERIES):
        selectors.report_content(authority=personas.authority_a, wave=wave)
    for team in teams:
        respond(follow, personas.authority_a, 8, team=team, text="z")
    respond(follow, personas.authority_b, 9)
    with django_assert_num_queries(selectors.REPORT_QUERIES):
        selectors.report_content(authority=personas.authority_a, wave=wave)
