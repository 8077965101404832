"""Small builders for the knowledge tests, written with the ORM directly."""

from datetime import date, timedelta

from django.utils import timezone

from fidelity.models import ResultsNode, RubricElement
from knowledge.models import DEFAULT_COLLECTION, KnowledgeAccess, Resource, ResourceKind

RUBRIC = "sofs-case-practice"


def resource(
    title: str = "A guide",
    *,
    authority=None,
    elements: tuple[str, ...] = (),
    nodes: tuple[str, ...] = (),
    url: str = "https://www.signsofsafety.net/",
    kind: str = ResourceKind.GUIDANCE,
    is_published: bool = True,
) -> Resource:
    """A resource tagged to elements of the standard rubric (by key) and nodes (by key)."""
    row = Resource.objects.create(
        title=title,
        summary=f"What {title} is about.",
        url=url,
        kind=kind,
        authority=authority,
        is_published=is_published,
    )
    if elements:
        row.rubric_elements.set(RubricElement.objects.filter(rubric__key=RUBRIC, key__in=elements))
    if nodes:
        row.nodes.set(ResultsNode.objects.filter(key__in=nodes))
    return row


def access_record(
    user,
    authority,
    *,
    expires_in: int,
    today: date | None = None,
    ended: bool = False,
    what: str = DEFAULT_COLLECTION,
) -> KnowledgeAccess:
    today = today or timezone.localdate()
    expires_on = today + timedelta(days=expires_in)
    return KnowledgeAccess.objects.create(
        authority=authority,
        user=user,
        what=what,
        granted_on=expires_on - timedelta(days=365),
        expires_on=expires_on,
        ended_on=today if ended else None,
    )
