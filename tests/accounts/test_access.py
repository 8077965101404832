import pytest
from django.http import Http404

from accounts import access
from accounts.models import Authority, Membership, Role, Team, User

pytestmark = pytest.mark.django_db


def test_roles_are_per_authority(personas):
    p = personas
    assert access.roles(p.max, p.authority_a) == {Role.LEADER}
    assert access.roles(p.max, p.authority_b) == {Role.PRACTITIONER}
    assert access.roles(p.charlie, p.authority_a) == set()


@pytest.mark.parametrize(
    "name, cases_a, overview_a, manage_a, admin",
    [
        ("alice", True, False, False, False),
        ("bob", True, False, False, False),
        ("quinn", True, True, True, True),
        ("leah", True, True, False, False),
        ("charlie", False, False, False, False),
        ("quentin", False, False, False, True),
        ("ana", False, False, False, False),
        ("pat", False, False, True, True),
    ],
)
def test_what_each_persona_may_do_in_authority_a(personas, name, cases_a, overview_a, manage_a, admin):
    user = getattr(personas, name)
    a = personas.authority_a
    assert access.may_view_cases(user, a) is cases_a
    assert access.may_view_authority_overview(user, a) is overview_a
    assert access.may_manage_authority(user, a) is manage_a
    assert access.may_use_admin(user) is admin


def test_analyst_sees_every_authority_but_no_case_data(personas):
    ana = personas.ana
    assert set(Authority.objects.for_user(ana)) == {personas.authority_a, personas.authority_b}
    assert not access.may_view_cases(ana, personas.authority_a)
    assert not Team.objects.for_user(ana).exists()


@pytest.mark.parametrize(
    "model, expected_for_charlie",
    [(Authority, {"992"}), (Team, {"Assessment Team"})],
)
def test_for_user_scopes_to_own_authority(personas, model, expected_for_charlie):
    rows = model.objects.for_user(personas.charlie)
    keys = {getattr(row, "code", None) or row.name for row in rows}
    assert keys == expected_for_charlie


def test_user_and_membership_scopes(personas):
    p = personas
    visible = set(User.objects.for_user(p.charlie).values_list("username", flat=True))
    assert visible == {"charlie", "quentin", "max"}
    memberships = Membership.objects.for_user(p.charlie)
    assert {m.authority_id for m in memberships} == {p.authority_b.pk}
    assert User.objects.for_user(p.pat).count() == User.objects.count()


def test_get_for_user_or_404_gives_the_same_404_for_missing_and_not_yours(personas):
    p = personas
    with pytest.raises(Http404) as not_yours:
        access.get_for_user_or_404(Team, p.charlie, pk=p.team_a.pk)
    with pytest.raises(Http404) as missing:
        access.get_for_user_or_404(Team, p.charlie, pk=999_999)
    assert str(not_yours.value) == str(missing.value)
    assert access.get_for_user_or_404(Team, p.alice, pk=p.team_a.pk) == p.team_a


def test_rules_permissions_match_the_access_functions(personas):
    p = personas
    assert p.quinn.has_perm("accounts.change_team", p.team_a)
    assert not p.quinn.has_perm("accounts.change_team", p.team_b)
    assert not p.quentin.has_perm("accounts.change_team", p.team_a)
    assert not p.alice.has_perm("accounts.change_team", p.team_a)
    assert p.pat.has_perm("accounts.change_team", p.team_b)
    assert not p.quinn.has_perm("accounts.add_authority")
    assert p.quinn.has_perm("accounts.change_user", p.alice)
    assert not p.quinn.has_perm("accounts.change_user", p.charlie)


def test_inactive_user_has_no_roles(personas):
    alice = personas.alice
    alice.is_active = False
    access.forget(alice)
    assert access.memberships(alice) == []
