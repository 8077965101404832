"""Which cases a person sees: QA leads and leaders every case of their authority; practitioners and
team managers the cases of their own team, or every case when their authority's
``practitioner_case_scope`` says "authority"; and always the case of an audit they take part in.
Another authority's cases never, whatever either authority's setting."""

import pytest
from django.urls import reverse

from accounts.models import CaseScope, Role, User
from audits.auditing import audit_create
from cases.models import Child, SafetyMap
from tests.factories import ChildFactory, MembershipFactory, ReferralFactory, UserFactory

pytestmark = pytest.mark.django_db

MISSING = 987_654_321
EVERY_A = ["A-AUDITED", "A-DOOR", "A-NONE", "A-NORTH"]


@pytest.fixture
def scoped(personas):
    """A's cases: one of Child Protection North (alice's and bob's team), one of the Front Door,
    one of no team, and a Front Door case alice is the practitioner of an audit of (quinn audits).
    fran is a practitioner of the Front Door. B has one case of its Assessment Team."""
    p = personas
    p.fran = UserFactory(username="fran")
    MembershipFactory(user=p.fran, authority=p.authority_a, role=Role.PRACTITIONER, team=p.team_a2)
    p.kids = {
        "north": ChildFactory(authority=p.authority_a, team=p.team_a, la_child_id="A-NORTH"),
        "door": ChildFactory(authority=p.authority_a, team=p.team_a2, la_child_id="A-DOOR"),
        "none": ChildFactory(authority=p.authority_a, la_child_id="A-NONE"),
        "audited": ChildFactory(authority=p.authority_a, team=p.team_a2, la_child_id="A-AUDITED"),
        "b": ChildFactory(authority=p.authority_b, team=p.team_b, la_child_id="B-ASSESS"),
    }
    for child in p.kids.values():
        ReferralFactory(child=child)
    p.audit = audit_create(
        child=p.kids["audited"], practitioner=p.alice, auditor=p.quinn, acting_user=p.quinn
    )
    return p


def _set_scope(authority, scope: str) -> None:
    authority.practitioner_case_scope = scope
    authority.save()


def _listed(client) -> list[str]:
    return sorted(child.la_child_id for child in client.get(reverse("cases:list")).context["page"])


def _visible(user) -> list[str]:
    fresh = User.objects.get(pk=user.pk)  # memberships (and their authority) are read once per user object
    return sorted(Child.objects.for_user(fresh).values_list("la_child_id", flat=True))


# --- the default: each team's own cases ------------------------------------------------------------


def test_the_default_is_the_team(personas):
    assert personas.authority_a.practitioner_case_scope == CaseScope.TEAM


@pytest.mark.parametrize(
    "who, expected",
    [
        ("alice", ["A-AUDITED", "A-NORTH"]),  # her team's, and the case of her audit
        ("bob", ["A-NORTH"]),  # his team's
        ("fran", ["A-AUDITED", "A-DOOR"]),  # the Front Door's
        ("quinn", EVERY_A),
        ("leah", EVERY_A),
        ("charlie", ["B-ASSESS"]),
        ("max", [*EVERY_A, "B-ASSESS"]),  # a leader in A, a practitioner of B's Assessment Team
        ("ana", []),
        ("pam", []),
    ],
)
def test_with_the_team_scope_each_sees(scoped, who, expected):
    assert _visible(getattr(scoped, who)) == expected


@pytest.mark.parametrize(
    "who, expected",
    [
        ("alice", ["A-AUDITED", "A-NORTH"]),
        ("bob", ["A-NORTH"]),
        ("fran", ["A-AUDITED", "A-DOOR"]),
        ("quinn", EVERY_A),
    ],
)
def test_the_case_list_shows_the_cases_each_sees(scoped, login, who, expected):
    assert _listed(login(getattr(scoped, who))) == expected


def test_a_practitioner_gets_the_404_of_a_missing_case_for_another_teams_case(scoped, login):
    client = login(scoped.alice)
    door = scoped.kids["door"].pk
    for name, key in (("cases:detail", "pk"), ("practice:record", "child_pk")):
        other = client.get(reverse(name, kwargs={key: door}))
        missing = client.get(reverse(name, kwargs={key: MISSING}))
        assert other.status_code == missing.status_code == 404
        assert other.content == missing.content
    added = client.post(
        reverse("practice:add", args=[door, "map"]), {"mapped_on": "2024-05-01", "with_family": "on"}
    )
    assert added.status_code == 404
    assert not SafetyMap.objects.exists()


def test_a_practitioner_reaches_their_teams_case_and_their_audits_case(scoped, login):
    client = login(scoped.alice)
    for child in (scoped.kids["north"], scoped.kids["audited"]):
        page = client.get(reverse("cases:detail", args=[child.pk]))
        assert page.status_code == 200 and page.context["timeline"]
        assert client.get(reverse("practice:record", args=[child.pk])).status_code == 200
    audit_page = client.get(reverse("cases:detail", args=[scoped.kids["audited"].pk])).content.decode()
    assert reverse("audits:detail", args=[scoped.audit.pk]) in audit_page


def test_a_team_manager_searches_and_audits_only_the_cases_they_see(scoped, login):
    client = login(scoped.bob)
    found = client.get(reverse("audits:start"), {"q": "A-"}).context["matches"]
    assert [child.la_child_id for child in found] == ["A-NORTH"]
    refused = client.post(
        reverse("audits:start"),
        {"child": scoped.kids["door"].pk, "practitioner": scoped.fran.pk, "auditor": scoped.bob.pk},
    )
    assert refused.status_code == 200 and "child" in refused.context["form"].errors
    everything = login(scoped.quinn).get(reverse("audits:start"), {"q": "A-"}).context["matches"]
    assert sorted(child.la_child_id for child in everything) == EVERY_A


# --- the authority's setting: every case ----------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "fran"])
def test_with_the_authority_scope_practitioners_and_managers_see_every_case(scoped, login, who):
    _set_scope(scoped.authority_a, CaseScope.AUTHORITY)
    user = getattr(scoped, who)
    assert _visible(user) == EVERY_A
    client = login(user)
    assert _listed(client) == EVERY_A
    assert client.get(reverse("cases:detail", args=[scoped.kids["door"].pk])).status_code == 200


def test_no_setting_opens_another_authoritys_cases(scoped, login):
    _set_scope(scoped.authority_a, CaseScope.AUTHORITY)
    _set_scope(scoped.authority_b, CaseScope.AUTHORITY)
    client = login(scoped.charlie)
    assert _listed(client) == ["B-ASSESS"]
    for child in (scoped.kids["north"], scoped.kids["none"]):
        assert client.get(reverse("cases:detail", args=[child.pk])).status_code == 404
        assert client.get(reverse("practice:record", args=[child.pk])).status_code == 404
    assert _visible(scoped.alice) == EVERY_A  # and A's own people none of B's


def test_the_setting_is_per_authority(scoped):
    """max leads in A and is a practitioner in B: B's setting widens only his B cases."""
    other_b = ChildFactory(authority=scoped.authority_b, la_child_id="B-NONE")
    assert "B-NONE" not in _visible(scoped.max)
    _set_scope(scoped.authority_b, CaseScope.AUTHORITY)
    assert _visible(scoped.max) == [*EVERY_A, "B-ASSESS", other_b.la_child_id]


# --- the admin: the authority's QA lead sets it, and the change is in its history ---------------


def test_the_qa_lead_sets_the_scope_in_the_admin(scoped, login):
    a = scoped.authority_a
    response = login(scoped.quinn).post(
        reverse("admin:accounts_authority_change", args=[a.pk]),
        {
            "name": a.name,
            "region": a.region,
            "sofs_started_on": "",
            "practitioner_case_scope": CaseScope.AUTHORITY,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    a.refresh_from_db()
    assert a.practitioner_case_scope == CaseScope.AUTHORITY
    latest = a.history.first()
    assert (
        latest.history_user == scoped.quinn and latest.prev_record.practitioner_case_scope == CaseScope.TEAM
    )
    assert _visible(scoped.alice) == EVERY_A


def test_another_qa_lead_cannot_set_it(scoped, login):
    a = scoped.authority_a
    response = login(scoped.quentin).post(
        reverse("admin:accounts_authority_change", args=[a.pk]),
        {"name": a.name, "region": a.region, "practitioner_case_scope": CaseScope.AUTHORITY},
    )
    assert response.status_code != 200
    a.refresh_from_db()
    assert a.practitioner_case_scope == CaseScope.TEAM


def test_the_list_reads_a_fixed_number_of_queries_for_a_practitioner(
    scoped, login, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(scoped.alice)
    client.get(reverse("cases:list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("cases:list"))
    for n in range(5):
        ReferralFactory(
            child=ChildFactory(authority=scoped.authority_a, team=scoped.team_a, la_child_id=f"N{n}")
        )
    with django_assert_num_queries(len(few)):
        assert len(_listed(client)) == 7
