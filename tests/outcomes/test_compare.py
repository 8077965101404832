"""The analysts' comparison: every authority side by side on comparable measures, de-identified by
default, names only for analysts who ask; nobody else gets the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outcomes import dashboard
from outcomes.dashboard import COMPARABLE_MEASURES, _salted
from tests.factories import AuthorityFactory
from tests.outcomes.test_dashboard import Q2, Q3, TODAY, store

pytestmark = pytest.mark.django_db

NAMES = ("Ashdown", "Brackenford", "Calderbridge", "Dunmere", "Eastholm")
LETTERS = ["Authority A", "Authority B", "Authority C", "Authority D", "Authority E"]


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr(dashboard, "today", lambda: TODAY)


@pytest.fixture
def figures(personas):
    """Five authorities in Q3 2024-25. Re-referrals: Ashdown 25.0%, Brackenford 10.0%,
    Calderbridge 3 of 20 (suppressed), Dunmere 30.0%, Eastholm 20.0%. P1 levels: 2.0 in the first
    three, 3.0 and 2.5 in Dunmere and Eastholm."""
    c = AuthorityFactory(code="993", name="Calderbridge")
    d = AuthorityFactory(code="994", name="Dunmere")
    e = AuthorityFactory(code="995", name="Eastholm")
    for authority, (numerator, denominator), p1 in zip(
        (personas.authority_a, personas.authority_b, c, d, e),
        ((10, 40), (5, 50), (3, 20), (6, 20), (10, 50)),
        (None, None, None, (30, 10), (25, 10)),
        strict=True,
    ):
        store(authority, "rereferrals_12m", Q3, numerator, denominator)
        store(authority, "referrals", Q3, denominator)
        store(authority, "fidelity_overall", Q3, 30, 10)
        store(authority, "fidelity_p1", Q3, *(p1 or (2 * denominator // 10, denominator // 10)))
    store(personas.authority_a, "rereferrals_12m", Q2, 9, 30)
    personas.authority_c, personas.authority_d, personas.authority_e = c, d, e
    return personas


def row_of(page, key: str):
    return next(row for group in page.groups for row in group.rows if row.measure.key == key)


def html(response) -> str:
    return response.content.decode()


def test_an_analyst_sees_every_authority_de_identified_by_default(figures, login):
    response = login(figures.ana).get("/outcomes/compare/")
    assert response.status_code == 200
    text = html(response)
    for name in NAMES:
        assert name not in text
    for code in ("991", "992", "993", "994", "995"):
        assert f">{code}<" not in text
    page = response.context["page"]
    assert page.period.label == "Q3 2024-25"
    assert [c.label for c in page.columns] == LETTERS
    assert 'data-testid="deidentified"' in text
    assert "Show names" in text


def test_the_order_follows_a_salted_hash_not_names_and_is_stable(figures, login):
    client = login(figures.ana)
    order = [c.authority_id for c in client.get("/outcomes/compare/").context["page"].columns]
    authorities = (figures.authority_a, figures.authority_b, figures.authority_c, figures.authority_d)
    expected = sorted([a.pk for a in (*authorities, figures.authority_e)], key=_salted)
    assert order == expected
    assert [c.authority_id for c in client.get("/outcomes/compare/").context["page"].columns] == order
    # The same authority keeps its letter in another quarter.
    assert [
        c.authority_id for c in client.get("/outcomes/compare/", {"quarter": Q2}).context["page"].columns
    ] == [figures.authority_a.pk]


def test_an_analyst_may_show_names(figures, login):
    response = login(figures.ana).get("/outcomes/compare/", {"names": "1"})
    text = html(response)
    for name in NAMES:
        assert name in text
    assert 'data-testid="names-shown"' in text
    assert 'name="names" value="1" id="show-names" checked' in text


def test_a_platform_admin_compares_but_never_sees_names(figures, login):
    response = login(figures.pat).get("/outcomes/compare/", {"names": "1"})
    assert response.status_code == 200
    text = html(response)
    for name in NAMES:
        assert name not in text
    assert "Show names" not in text
    assert [c.label for c in response.context["page"].columns] == LETTERS


@pytest.mark.parametrize("persona", ["leah", "quinn", "bob", "alice", "charlie", "quentin", "max"])
def test_people_of_an_authority_get_403(figures, login, persona):
    client = login(getattr(figures, persona))
    assert client.get("/outcomes/compare/").status_code == 403
    assert client.get("/outcomes/compare/", {"names": "1"}).status_code == 403


def test_only_comparable_measures_are_shown_and_small_numbers_are_suppressed(figures, login):
    response = login(figures.ana).get("/outcomes/compare/")
    page = response.context["page"]
    keys = [row.measure.key for group in page.groups for row in group.rows]
    assert keys == list(COMPARABLE_MEASURES)
    assert "fidelity_overall" not in keys
    row = row_of(page, "rereferrals_12m")
    by_authority = dict(zip([c.authority_id for c in page.columns], row.cells, strict=True))
    assert by_authority[figures.authority_a.pk].value_text == "25.0%"
    assert by_authority[figures.authority_a.pk].base_text == "n = 40"
    assert by_authority[figures.authority_c.pk].value_text == "fewer than 5"  # 3 of 20
    assert "15.0%" not in html(response)
    # The suppressed value is left out of the median, which then needs a fifth authority.
    assert row.median_text == ""
    # Means are never suppressed (only their number of ratings): five authorities, a median.
    assert row_of(page, "fidelity_p1").median_text == "2.0 of 4"
    assert "fewer than 5 ratings" in html(response)  # 2 authorities rated P1 fewer than 5 times


def test_a_median_needs_five_authorities_as_every_benchmark(figures, login):
    """The analysts see every value anyway; the median row follows the leaders' rule all the same."""
    client = login(figures.ana)
    text = html(client.get("/outcomes/compare/"))
    assert "A median needs at least five authorities with a value large enough to show" in text
    store(AuthorityFactory(code="996", name="Fernleigh"), "rereferrals_12m", Q3, 8, 20)
    page = client.get("/outcomes/compare/").context["page"]
    assert row_of(page, "rereferrals_12m").median_text == "25.0%"  # 10%, 20%, 25%, 30%, 40%
    figures.authority_e.measure_values.filter(measure="fidelity_p1").delete()
    page = client.get("/outcomes/compare/").context["page"]
    assert row_of(page, "fidelity_p1").median_text == ""  # four authorities with a P1 level


def test_an_htmx_request_gets_the_table_only(figures, login):
    response = login(figures.ana).get("/outcomes/compare/", {"quarter": Q2}, HTTP_HX_REQUEST="true")
    text = html(response)
    assert "<html" not in text and "Q2 2024-25" in text


def test_the_comparison_reads_a_fixed_number_of_queries(figures, login, django_assert_num_queries):
    client = login(figures.ana)
    with CaptureQueriesContext(connection) as queries:
        client.get("/outcomes/compare/", {"names": "1"})
    for code in range(996, 1000):
        authority = AuthorityFactory(code=str(code), name=f"Authority {code}")
        for key in COMPARABLE_MEASURES:
            store(authority, key, Q3, 12, 30)
    with django_assert_num_queries(len(queries)):
        response = client.get("/outcomes/compare/", {"names": "1"})
    assert len(response.context["page"].columns) == 9


def test_no_values_yet(personas, login):
    response = login(personas.ana).get("/outcomes/compare/")
    assert response.status_code == 200
    assert "No authority has figures yet" in html(response)
    assert response.context["page"].period is None
