"""A team's learning page (``/learning/teams/<pk>/``) follows the audits it lists: QA leads and
leaders see every team of their authority, a team's manager and practitioners their own team, and
of the team's overdue case actions each sees those of the audits they may open. Anyone else gets
the 404 of a team that does not exist."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audits import learning
from audits.models import LearningAction
from tests.audits.test_voice import make_audit
from tests.factories import ChildFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MISSING = 987_654_321


@pytest.fixture
def team_page(personas):
    """Three overdue actions of team A: one of alice's audit, one of another practitioner's audit
    in team A, and a team learning point; and a practitioner of A's other team."""
    p = personas
    p.paul = UserFactory(username="paul")
    MembershipFactory(user=p.paul, authority=p.authority_a, role=Role.PRACTITIONER, team=p.team_a)
    p.fran = UserFactory(username="fran")
    MembershipFactory(user=p.fran, authority=p.authority_a, role=Role.PRACTITIONER, team=p.team_a2)
    alices = make_audit(p, child=ChildFactory(authority=p.authority_a, team=p.team_a, la_child_id="ALICE-1"))
    pauls = make_audit(
        p,
        practitioner=p.paul,
        child=ChildFactory(authority=p.authority_a, team=p.team_a, la_child_id="PAUL-1"),
    )
    due = TODAY + timedelta(days=7)
    actions = [
        learning.action_add(
            audit=alices,
            team=p.team_a,
            description="Action of Alice",
            owner=p.alice,
            due_on=due,
            acting_user=p.bob,
        ),
        learning.action_add(
            audit=pauls,
            team=p.team_a,
            description="Action of Paul",
            owner=p.paul,
            due_on=due,
            acting_user=p.bob,
        ),
        learning.action_add(
            team=p.team_a, kind="team", description="Team point", owner=p.bob, due_on=due, acting_user=p.bob
        ),
    ]
    LearningAction.objects.filter(pk__in=[a.pk for a in actions]).update(due_on=TODAY - timedelta(days=3))
    p.url = reverse("followup:team_actions", args=[p.team_a.pk])
    return p


def _overdue(page: str) -> str:
    start = page.index('data-testid="team-overdue"')
    return page[start : page.index("Team learning points", start)]


@pytest.mark.parametrize("who", ["bob", "quinn", "leah"])
def test_the_team_manager_qa_leads_and_leaders_see_every_overdue_action(team_page, login, who):
    page = login(getattr(team_page, who)).get(team_page.url).content.decode()
    overdue = _overdue(page)
    for text in ("Action of Alice", "ALICE-1", "Action of Paul", "PAUL-1", "Team point"):
        assert text in overdue


def test_a_practitioner_sees_the_actions_of_their_own_audits_and_the_team_points(team_page, login):
    response = login(team_page.alice).get(team_page.url)
    assert response.status_code == 200
    overdue = _overdue(response.content.decode())
    assert "Action of Alice" in overdue and "ALICE-1" in overdue and "Team point" in overdue
    assert "Action of Paul" not in overdue and "PAUL-1" not in overdue


@pytest.mark.parametrize("who", ["fran", "charlie", "quentin"])
def test_others_get_the_404_of_a_missing_team(team_page, login, who):
    client = login(getattr(team_page, who))
    own = client.get(team_page.url)
    missing = client.get(reverse("followup:team_actions", args=[MISSING]))
    assert own.status_code == missing.status_code == 404
    assert own.content == missing.content
    posted = client.post(
        team_page.url, {"description": "Sneaky", "owner": team_page.bob.pk, "due_on": TODAY.isoformat()}
    )
    assert posted.status_code == 404
    assert not LearningAction.objects.filter(description="Sneaky").exists()


def test_each_practitioner_of_the_team_sees_their_own_audits_actions(team_page, login):
    overdue = _overdue(login(team_page.paul).get(team_page.url).content.decode())
    assert "Action of Paul" in overdue and "Team point" in overdue
    assert "Action of Alice" not in overdue and "ALICE-1" not in overdue
