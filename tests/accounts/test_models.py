import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import Authority, Membership, Role
from tests.factories import AuthorityFactory, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_authority_code_has_three_digits():
    with pytest.raises(ValidationError, match="exactly three digits"):
        Authority(code="87", name="Short").full_clean()


def test_platform_roles_have_no_authority():
    user = UserFactory()
    with pytest.raises(IntegrityError):
        MembershipFactory(user=user, role=Role.ANALYST, authority=AuthorityFactory())


def test_authority_roles_need_an_authority():
    with pytest.raises(IntegrityError):
        MembershipFactory(role=Role.PRACTITIONER, authority=None)


def test_one_membership_per_authority():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=membership.user, authority=membership.authority, role=Role.LEADER)


def test_team_must_be_in_the_memberships_authority():
    team = TeamFactory()
    membership = Membership(
        user=UserFactory(), authority=AuthorityFactory(), team=team, role=Role.PRACTITIONER
    )
    with pytest.raises(ValidationError, match="team must belong"):
        membership.full_clean()
