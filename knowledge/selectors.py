"""Reads of the knowledge library: the library page, the guidance beside audit items, and the access
records of an authority and of a person."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F, Prefetch, Q, QuerySet
from django.urls import reverse

from accounts.models import Role, User
from fidelity.models import ResultsNode, RubricElement
from knowledge.models import KnowledgeAccess, Resource


def library(*, user) -> QuerySet[Resource]:
    """The resources the user may open, with their tags, in a fixed number of queries."""
    return (
        Resource.objects.for_user(user)
        .select_related("authority")
        .prefetch_related(
            Prefetch("rubric_elements", queryset=RubricElement.objects.order_by("rubric_id", "order", "key")),
            Prefetch("nodes", queryset=ResultsNode.objects.order_by("key")),
        )
    )


def filter_choices() -> tuple[QuerySet[RubricElement], QuerySet[ResultsNode]]:
    """The rubric elements and results-logic nodes that at least one resource is tied to."""
    elements = RubricElement.objects.filter(resources__isnull=False).distinct().order_by("rubric_id", "order")
    nodes = ResultsNode.objects.filter(resources__isnull=False).distinct().order_by("key")
    return elements, nodes


# --- guidance beside audit items -----------------------------------------------------------------


@dataclass(frozen=True)
class GuidanceLink:
    """One resource as the audit form lists it."""

    pk: int
    title: str
    summary: str
    kind: str
    url: str
    has_file: bool
    is_local: bool

    @property
    def href(self) -> str:
        return self.url or reverse("knowledge:download", args=[self.pk])

    @property
    def is_external(self) -> bool:
        return bool(self.url)


@dataclass
class ItemGuidance:
    """The resources tied to each rubric element key and each results-logic node key of a form."""

    by_element: dict[str, list[GuidanceLink]] = field(default_factory=dict)
    by_node: dict[str, list[GuidanceLink]] = field(default_factory=dict)

    def for_item(self, item) -> list[GuidanceLink]:
        """The resources for an item (anything with ``rubric_element_key`` and ``node_key``), those
        tied to its rubric element first, each once."""
        found: dict[int, GuidanceLink] = {}
        for link in self.by_element.get(getattr(item, "rubric_element_key", "") or "", []):
            found.setdefault(link.pk, link)
        for link in self.by_node.get(getattr(item, "node_key", "") or "", []):
            found.setdefault(link.pk, link)
        return list(found.values())

    def __bool__(self) -> bool:
        return bool(self.by_element or self.by_node)


def guidance_for_items(*, items: Iterable, authority_id: int | None) -> ItemGuidance:
    """The published resources (the programme's and the authority's own) tied to the rubric
    elements or results-logic nodes of ``items``, in one query for the whole form, whatever the
    number of items. Rubric elements are matched by key (the tools rate one rubric's elements)."""
    items = list(items)
    element_keys = {item.rubric_element_key for item in items if getattr(item, "rubric_element_key", "")}
    node_keys = {item.node_key for item in items if getattr(item, "node_key", "")}
    guidance = ItemGuidance()
    if not element_keys and not node_keys:
        return guidance
    # One row per (resource, element, node) of the joins: a resource with several tags repeats, which
    # costs little next to a query per item.
    rows = (
        Resource.objects.for_authority(authority_id)
        .filter(Q(rubric_elements__key__in=element_keys) | Q(nodes__key__in=node_keys))
        .values(
            "pk",
            "title",
            "summary",
            "kind",
            "url",
            "file",
            "authority_id",
            element_key=F("rubric_elements__key"),
            node_key=F("nodes__key"),
        )
        # The programme's first, then the authority's own.
        .order_by(F("authority_id").asc(nulls_first=True), "title", "pk")
    )
    for row in rows:
        link = GuidanceLink(
            pk=row["pk"],
            title=row["title"],
            summary=row["summary"],
            kind=row["kind"],
            url=row["url"],
            has_file=bool(row["file"]),
            is_local=row["authority_id"] is not None,
        )
        if row["element_key"] in element_keys:
            _add(guidance.by_element.setdefault(row["element_key"], []), link)
        if row["node_key"] in node_keys:
            _add(guidance.by_node.setdefault(row["node_key"], []), link)
    return guidance


def _add(links: list[GuidanceLink], link: GuidanceLink) -> None:
    if all(existing.pk != link.pk for existing in links):
        links.append(link)


# --- access records -------------------------------------------------------------------------------


def authority_access(*, authority_id: int) -> QuerySet[KnowledgeAccess]:
    """An authority's access records: current ones first (soonest expiry first), then the rest."""
    return (
        KnowledgeAccess.objects.filter(authority_id=authority_id)
        .select_related("user", "granted_by")
        .order_by(F("ended_on").desc(nulls_first=True), "expires_on", "pk")
    )


def own_access(*, user, today: date) -> list[KnowledgeAccess]:
    """The person's access records that have not ended, soonest expiry first (expired ones too, so
    that they know to ask)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        KnowledgeAccess.objects.filter(user_id=user.pk, ended_on__isnull=True)
        .select_related("authority")
        .order_by("expires_on", "pk")
    )


def grantable_members(*, authority_id: int) -> QuerySet[User]:
    """The authority's people, to whom access may be granted."""
    return (
        User.objects.filter(is_active=True, memberships__authority_id=authority_id)
        .exclude(memberships__role__in=[Role.PLATFORM_ADMIN])
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def qa_leads(*, authority_ids: Iterable[int]) -> dict[int, list[User]]:
    """Each authority's active QA leads, in one query."""
    leads: dict[int, list[User]] = {}
    rows = (
        User.objects.filter(
            is_active=True, memberships__role=Role.QA_LEAD, memberships__authority_id__in=list(authority_ids)
        )
        .annotate(lead_of=F("memberships__authority_id"))
        .order_by("lead_of", "username")
    )
    for user in rows:
        leads.setdefault(user.lead_of, []).append(user)  # type: ignore[attr-defined]
    return leads
