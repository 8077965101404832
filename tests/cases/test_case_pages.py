from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CareEpisodeFactory, ChildFactory, CPPlanFactory, ReferralFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(personas):
    p = personas
    open_cp = ChildFactory(authority=p.authority_a, la_child_id="A-CP", team=p.team_a)
    ReferralFactory(child=open_cp, referral_date=date(2024, 4, 2))
    CPPlanFactory(child=open_cp, start_date=date(2024, 5, 20))
    closed = ChildFactory(authority=p.authority_a, la_child_id="A-CLOSED", team=p.team_a2)
    ReferralFactory(
        child=closed, referral_date=date(2023, 1, 9), closure_date=date(2023, 3, 1), closure_reason="RC8"
    )
    looked_after = ChildFactory(authority=p.authority_a, la_child_id="A-CLA")
    CareEpisodeFactory(child=looked_after, start_date=date(2024, 7, 1), placement="U1")
    other = ChildFactory(authority=p.authority_b, la_child_id="B-ONLY", team=p.team_b)
    ReferralFactory(child=other, referral_date=date(2024, 4, 3))
    p.cases = {"cp": open_cp, "closed": closed, "cla": looked_after, "b": other}
    return p


def ids(response):
    return [child.la_child_id for child in response.context["page"]]


def test_case_list_shows_the_authoritys_children_only(cases, login):
    response = login(cases.leah).get(reverse("cases:list"))
    assert response.status_code == 200
    assert sorted(ids(response)) == ["A-CLA", "A-CLOSED", "A-CP"]
    assert b"B-ONLY" not in response.content


def test_a_practitioner_lists_the_cases_of_their_team(cases, login):
    # tests/cases/test_case_scope.py tries the authority's setting both ways.
    response = login(cases.alice).get(reverse("cases:list"))
    assert ids(response) == ["A-CP"]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "cp"}, ["A-CP"]),
        ({"status": "cla"}, ["A-CLA"]),
        ({"status": "closed"}, ["A-CLOSED"]),
        ({"referred_from": "2024-01-01"}, ["A-CP"]),
        ({"referred_to": "2023-12-31"}, ["A-CLOSED"]),
    ],
)
def test_case_list_filters(cases, login, params, expected):
    assert ids(login(cases.leah).get(reverse("cases:list"), params)) == expected


def test_case_list_filters_by_team(cases, login):
    response = login(cases.leah).get(reverse("cases:list"), {"team": cases.team_a2.pk})
    assert ids(response) == ["A-CLOSED"]


def test_case_list_htmx_returns_the_table_only(cases, login):
    response = login(cases.alice).get(reverse("cases:list"), {"status": "cp"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content
    assert b"A-CP" in response.content


def test_case_list_query_count_does_not_grow(cases, login):
    client = login(cases.alice)
    client.get(reverse("cases:list"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("cases:list"))
    for _n in range(40):
        child = ChildFactory(authority=cases.authority_a, team=cases.team_a)
        ReferralFactory(child=child)
        CPPlanFactory(child=child)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("cases:list"))
    assert len(many) == len(few)


def test_case_page_shows_the_timeline(cases, login):
    response = login(cases.bob).get(reverse("cases:detail", args=[cases.cases["cp"].pk]))
    assert response.status_code == 200
    kinds = [entry.kind for entry in response.context["timeline"]]
    assert kinds == ["cp_plan", "referral"]  # newest first
    assert b"Child protection plan" in response.content


def test_analyst_has_no_case_list(cases, login):
    assert login(cases.ana).get(reverse("cases:list")).status_code == 403


def test_charlie_sees_no_authority_a_case(cases, login):
    client = login(cases.charlie)
    assert client.get(reverse("cases:detail", args=[cases.cases["cp"].pk])).status_code == 404
    assert ids(client.get(reverse("cases:list"))) == ["B-ONLY"]
