import pytest
from django.urls import reverse

from accounts.models import Membership, Role, Team, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["alice", "bob", "leah", "charlie", "ana"])
def test_people_without_admin_roles_are_kept_out(personas, login, name):
    response = login(getattr(personas, name)).get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.status_code == 200


def test_anonymous_admin_goes_to_the_platform_login(client):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))


def _admin_models(response):
    return sorted(m["object_name"] for app in response.context["app_list"] for m in app["models"])


def test_qa_lead_sees_only_people_and_teams(personas, login):
    response = login(personas.quinn).get(reverse("admin:index"))
    assert response.status_code == 200
    assert _admin_models(response) == [
        "Adaptation",
        "Adoption",
        "Authority",
        "ImportRun",
        "JobRun",
        "KnowledgeAccess",
        "MeasureTarget",
        "MeasureValue",
        "Membership",
        "OutcomeReport",
        "ReportBranding",
        "Resource",
        "ResultsNode",
        "Rubric",
        "SampleDraw",
        "SamplingPlan",
        "Team",
        "Tool",
        "ToolVersion",
        "User",
    ]


def test_platform_admin_also_sees_schedules(personas, login):
    models = _admin_models(login(personas.pat).get(reverse("admin:index")))
    assert "PeriodicTask" in models
    assert "CrontabSchedule" in models


def test_qa_lead_lists_only_their_authority(personas, login):
    client = login(personas.quinn)
    teams = client.get(reverse("admin:accounts_team_changelist")).context["cl"].queryset
    assert set(teams) == {personas.team_a, personas.team_a2}
    users = client.get(reverse("admin:accounts_user_changelist")).context["cl"].queryset
    assert {u.username for u in users} == {"alice", "bob", "quinn", "leah", "max"}
    authorities = client.get(reverse("admin:accounts_authority_changelist")).context["cl"].queryset
    assert list(authorities) == [personas.authority_a]


def test_qa_lead_cannot_create_a_team_in_another_authority(personas, login):
    client = login(personas.quinn)
    response = client.post(
        reverse("admin:accounts_team_add"),
        {"authority": personas.authority_b.pk, "name": "Sneaky", "service_area": "front_door"},
    )
    assert response.status_code == 200  # the form is shown again with an error
    assert "authority" in response.context["adminform"].form.errors
    assert not Team.objects.filter(name="Sneaky").exists()


def test_qa_lead_adds_a_member_with_a_first_role(personas, login):
    client = login(personas.quinn)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "first_name": "New",
            "last_name": "Starter",
            "email": "newbie@example.org",
            "usable_password": "true",
            "password1": "a-long-enough-password-1",
            "password2": "a-long-enough-password-1",
            "authority": personas.authority_a.pk,
            "role": Role.PRACTITIONER,
            "team": personas.team_a.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    membership = Membership.objects.get(user__username="newbie")
    assert (membership.authority, membership.role, membership.team) == (
        personas.authority_a,
        Role.PRACTITIONER,
        personas.team_a,
    )
    assert membership.history.get().history_user == personas.quinn


def test_qa_lead_cannot_grant_platform_roles(personas, login):
    client = login(personas.quinn)
    response = client.post(
        reverse("admin:accounts_membership_add"),
        {"user": personas.leah.pk, "authority": "", "team": "", "role": Role.PLATFORM_ADMIN},
    )
    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    assert not Membership.objects.filter(role=Role.PLATFORM_ADMIN, user=personas.leah).exists()


def test_qa_lead_cannot_see_permission_flags(personas, login):
    response = login(personas.quinn).get(reverse("admin:accounts_user_change", args=[personas.alice.pk]))
    assert response.status_code == 200
    fields = response.context["adminform"].form.fields
    assert "is_superuser" not in fields and "is_staff" not in fields and "user_permissions" not in fields


def test_admin_changes_are_recorded_with_the_acting_user(personas, login):
    client = login(personas.quinn)
    team = personas.team_a
    response = client.post(
        reverse("admin:accounts_team_change", args=[team.pk]),
        {
            "authority": personas.authority_a.pk,
            "name": "CP North (renamed)",
            "service_area": team.service_area,
        },
    )
    assert response.status_code == 302
    latest = team.history.first()
    assert latest.name == "CP North (renamed)"
    assert latest.history_user == personas.quinn
    assert latest.prev_record.name == "Child Protection North"


def test_platform_admin_manages_every_authority(personas, login):
    users = login(personas.pat).get(reverse("admin:accounts_user_changelist")).context["cl"].queryset
    assert users.count() == User.objects.count()
