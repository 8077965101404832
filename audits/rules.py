"""Admin permissions of the audits app (``rules``), loaded by rules' autodiscovery.

- The standard library (tools without an authority), its versions, sections and items: seen by
  platform admins and QA leads; changed by platform admins only, and a version (with its sections
  and items) only while it is a draft.
- An authority's own tools and their versions: the QA leads of that authority (platform admins see
  them). Versions again only while a draft.
- Adoptions, adaptations and their item changes: the QA leads of the adoption's authority (platform
  admins see them); an adaptation and its changes only while the adaptation is a draft.

With no object (the admin asking about a whole list), a predicate answers whether the user could
act on some row of that kind; the rows themselves are scoped by each ``ModelAdmin.get_queryset``.
"""

from typing import Any

import rules

from accounts.access import authority_ids, is_platform_admin, is_qa_lead_somewhere
from accounts.models import Role
from audits.models import Adaptation, Adoption, Item, ItemChange, Section, Tool, ToolVersion, VersionStatus


def _tool_of(obj: Any) -> Tool | None:
    if isinstance(obj, Tool):
        return obj
    if isinstance(obj, ToolVersion):
        return obj.tool
    if isinstance(obj, Section | Item):
        return obj.version.tool
    return None


def _version_of(obj: Any) -> ToolVersion | None:
    if isinstance(obj, ToolVersion):
        return obj
    if isinstance(obj, Section | Item):
        return obj.version
    return None


def _adaptation_of(obj: Any) -> Adaptation | None:
    if isinstance(obj, Adaptation):
        return obj
    if isinstance(obj, ItemChange):
        return obj.adaptation
    return None


def _authority_id_of_adoption_part(obj: Any) -> int | None:
    if isinstance(obj, Adoption):
        return obj.authority_id
    adaptation = _adaptation_of(obj)
    return adaptation.adoption.authority_id if adaptation is not None else None


@rules.predicate
def is_standard(user, obj) -> bool:
    """The object belongs to the standard library (no object: true, so lists stay open)."""
    tool = _tool_of(obj)
    return tool is None or tool.authority_id is None


@rules.predicate
def leads_tool_authority(user, obj) -> bool:
    """QA lead of the authority that owns the tool; with no object, QA lead anywhere."""
    if obj is None:
        return bool(is_qa_lead_somewhere(user))
    tool = _tool_of(obj)
    return tool is not None and tool.authority_id in authority_ids(user, [Role.QA_LEAD])


@rules.predicate
def is_draft_version(user, obj) -> bool:
    """The version (of a version, section or item) is a draft; true for tools and for no object."""
    version = _version_of(obj)
    return version is None or version.status == VersionStatus.DRAFT


@rules.predicate
def is_published_version(user, obj) -> bool:
    version = _version_of(obj)
    return version is not None and version.status == VersionStatus.PUBLISHED


@rules.predicate
def leads_adoption_authority(user, obj) -> bool:
    """QA lead of the authority of the adoption (or adaptation, or item change)."""
    if obj is None:
        return bool(is_qa_lead_somewhere(user))
    authority_id = _authority_id_of_adoption_part(obj)
    return authority_id is not None and authority_id in authority_ids(user, [Role.QA_LEAD])


@rules.predicate
def is_draft_adaptation(user, obj) -> bool:
    adaptation = _adaptation_of(obj)
    return adaptation is None or adaptation.status == VersionStatus.DRAFT


# Who owns (edits) a tool: platform admins the standard library, QA leads their authority's tools.
edits_tool = (is_platform_admin & is_standard) | leads_tool_authority
sees_tool = (
    (is_standard & (is_platform_admin | is_qa_lead_somewhere)) | is_platform_admin | leads_tool_authority
)

rules.add_perm("audits", is_platform_admin | is_qa_lead_somewhere)

rules.add_perm("audits.view_tool", sees_tool)
rules.add_perm("audits.add_tool", is_platform_admin | is_qa_lead_somewhere)
rules.add_perm("audits.change_tool", edits_tool)
rules.add_perm("audits.delete_tool", edits_tool)

for model in ("toolversion", "section", "item"):
    rules.add_perm(f"audits.view_{model}", sees_tool)
    rules.add_perm(f"audits.add_{model}", edits_tool & is_draft_version)
    rules.add_perm(f"audits.change_{model}", edits_tool & is_draft_version)
    rules.add_perm(f"audits.delete_{model}", edits_tool & is_draft_version)
# Publishing validates and freezes a draft; retiring is the one move a published version may make.
rules.add_perm("audits.publish_toolversion", edits_tool & is_draft_version)
rules.add_perm("audits.retire_toolversion", edits_tool & is_published_version)

# Adopting or adapting a standard tool is what a QA lead does for their authority.
rules.add_perm("audits.adopt_tool", is_standard & is_qa_lead_somewhere)

rules.add_perm("audits.view_adoption", is_platform_admin | leads_adoption_authority)
for action in ("add", "change", "delete"):
    rules.add_perm(f"audits.{action}_adoption", leads_adoption_authority)

for model in ("adaptation", "itemchange"):
    rules.add_perm(f"audits.view_{model}", is_platform_admin | leads_adoption_authority)
    for action in ("add", "change", "delete"):
        rules.add_perm(f"audits.{action}_{model}", leads_adoption_authority & is_draft_adaptation)
rules.add_perm("audits.publish_adaptation", leads_adoption_authority & is_draft_adaptation)
# Upgrading starts a new draft from any adaptation of the authority, whatever its status.
rules.add_perm("audits.upgrade_adaptation", leads_adoption_authority)
import audits.sampling_rules  # noqa: E402, F401  (the sampling permissions)
