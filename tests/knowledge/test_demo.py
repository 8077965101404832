"""``seed_demo_knowledge``: the demo library and access records, made once however often it runs,
with guidance beside every item of the demo's case audit."""

import pytest
from django.core.management import call_command

from accounts.demo import seed_people
from audits import selectors
from audits.models import ToolVersion
from knowledge.models import KnowledgeAccess, Resource
from knowledge.selectors import guidance_for_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seed_people()
    call_command("seed_demo_knowledge")


def test_running_it_twice_creates_nothing_more(demo):
    resources, records = Resource.objects.count(), KnowledgeAccess.objects.count()
    assert resources >= 20 and records >= 10
    call_command("seed_demo_knowledge")
    assert (Resource.objects.count(), KnowledgeAccess.objects.count()) == (resources, records)


def test_every_case_audit_item_shows_guidance(demo):
    version = ToolVersion.objects.get(tool__key="case-audit", status="published")
    items = selectors.resolved_tool(version=version).items()
    guidance = guidance_for_items(items=items, authority_id=None)
    assert [item.key for item in items if not guidance.for_item(item)] == []


def test_ashdown_has_local_resources_one_of_them_a_file(demo):
    local = Resource.objects.filter(authority__code="991")
    assert local.count() == 2
    assert local.exclude(file="").count() == 1


def test_some_access_expires_soon_and_one_has_expired(demo):
    from django.utils import timezone

    today = timezone.localdate()
    states = [record.state(today) for record in KnowledgeAccess.objects.all()]
    assert states.count("expired") == 1
    assert states.count("expiring") >= 3
