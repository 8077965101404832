"""Shared fixtures. The personas are the same people in every test:

- alice (practitioner) and bob (team manager) work in Authority A's "Child Protection North" team;
- quinn is A's QA lead and leah A's leader;
- charlie is a practitioner in Authority B, and quentin is B's QA lead: neither ever sees A's rows;
- ana is a cross-authority analyst, pat a platform admin and pam the programme team (no authority:
  pam runs the workshops, the journal, the survey waves, the knowledge library and feedback);
- max works in both A (leader) and B (practitioner), to exercise the authority switcher.
"""

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from accounts.models import Role, ServiceArea
from tests.factories import PASSWORD, AuthorityFactory, MembershipFactory, TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a cached benchmark keyed by the values' version
    ("none" without job runs) must not carry over from another test's database rows."""
    from django.core.cache import cache

    cache.clear()
    yield


def pytest_collection_modifyitems(config, items):
    if os.environ.get("CELERY_BROKER_URL"):
        return
    skip = pytest.mark.skip(reason="needs a Celery worker and broker: run by make test-services")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


def make_personas():
    a = AuthorityFactory(code="991", name="Ashdown")
    b = AuthorityFactory(code="992", name="Brackenford")
    team_a = TeamFactory(authority=a, name="Child Protection North")
    team_a2 = TeamFactory(authority=a, name="Front Door", service_area=ServiceArea.FRONT_DOOR)
    team_b = TeamFactory(authority=b, name="Assessment Team", service_area=ServiceArea.ASSESSMENT)

    def person(username, role, authority=None, team=None):
        user = UserFactory(username=username)
        MembershipFactory(user=user, authority=authority, role=role, team=team)
        return user

    p = SimpleNamespace(authority_a=a, authority_b=b, team_a=team_a, team_a2=team_a2, team_b=team_b)
    p.alice = person("alice", Role.PRACTITIONER, a, team_a)
    p.bob = person("bob", Role.TEAM_MANAGER, a, team_a)
    p.quinn = person("quinn", Role.QA_LEAD, a)
    p.leah = person("leah", Role.LEADER, a)
    p.charlie = person("charlie", Role.PRACTITIONER, b, team_b)
    p.quentin = person("quentin", Role.QA_LEAD, b)
    p.ana = person("ana", Role.ANALYST)
    p.pat = person("pat", Role.PLATFORM_ADMIN)
    p.pam = person("pam", Role.PROGRAMME)
    p.max = person("max", Role.LEADER, a)
    MembershipFactory(user=p.max, authority=b, role=Role.PRACTITIONER, team=team_b)
    return p


@pytest.fixture
def personas(db):
    return make_personas()


@pytest.fixture
def login(client):
    """Sign a persona in on the test client: ``login(personas.alice)``."""

    def _login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


__all__ = ["PASSWORD", "make_personas"]


EXTERNAL_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "external"


@pytest.fixture
def external_data() -> Path:
    """The sample returns written by others, in ../shared/data/external/ (read, never copied)."""
    if not EXTERNAL_DATA.is_dir():
        pytest.skip(f"the shared sample data folder {EXTERNAL_DATA} is absent")
    return EXTERNAL_DATA
