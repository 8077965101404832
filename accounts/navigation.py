"""The navigation bar: each entry is shown only to people who may use it.

Later features add their pages here, with the predicate from ``accounts.access`` that guards the
page itself, so the menu and the page never disagree.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from accounts import access
from accounts.models import Role

# Entries used less often go under a menu ("Manage"; "Programme" for the programme around the
# platform), when there are enough of them to fill it; otherwise they sit in the bar.
MANAGE = "Manage"
PROGRAMME = "Programme"
MANAGE_MINIMUM = 3


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    allowed: Callable[[object, object], bool]  # (user, active membership) -> bool
    description: str = ""
    group: str = ""


def _has_authority(user, membership) -> bool:
    return membership is not None


def _authority_overview(user, membership) -> bool:
    return membership is not None and access.may_view_authority_overview(user, membership.authority_id)


def _cases(user, membership) -> bool:
    return membership is not None and access.may_view_cases(user, membership.authority_id)


def _oversight(user, membership) -> bool:
    """Team managers and QA leads: they moderate audits and answer safety escalations."""
    return membership is not None and membership.role in (Role.TEAM_MANAGER, Role.QA_LEAD)


def _dashboard(user, membership) -> bool:
    return membership is not None and access.may_view_dashboard(user, membership.authority_id)


def _reports(user, membership) -> bool:
    if membership is None:
        return bool(access.is_analyst(user))
    return access.may_view_reports(user, membership.authority_id)


def _oversight_dashboard(user, membership) -> bool:
    return membership is not None and access.may_view_oversight(user, membership.authority_id)


def _exports(user, membership) -> bool:
    return membership is not None and access.may_export_measures(user, membership.authority_id)


def _compare(user, membership) -> bool:
    return access.may_compare_authorities(user)


def _all_authorities(user, membership) -> bool:
    return access.sees_all_authorities(user)


def _surveys(user, membership) -> bool:
    return access.takes_part_in_programme(user)


def _workshops(user, membership) -> bool:
    return access.may_view_workshop(user)


def _journal(user, membership) -> bool:
    return access.may_read_journal(user)


def _knowledge(user, membership) -> bool:
    return access.may_read_knowledge(user)


def _knowledge_access(user, membership) -> bool:
    return membership is not None and access.may_manage_knowledge_access(user, membership.authority_id)


def _triage_feedback(user, membership) -> bool:
    return access.may_triage_feedback(user)


def _admin(user, membership) -> bool:
    return access.may_use_admin(user)


ITEMS = [
    NavItem("Home", "home", lambda user, membership: True),
    NavItem("Cases", "cases:list", _cases, "Children and their case activity: referrals, plans, care."),
    NavItem(
        "Audits",
        "audits:home",
        _has_authority,
        "Your case audits to do, sent back, and your learning actions.",
    ),
    NavItem(
        "Learning", "followup:actions", _has_authority, "Learning actions from audits, and what is overdue."
    ),
    NavItem(
        "Moderation", "moderation:queue", _oversight, "Audits to re-rate blind, and how far raters agree."
    ),
    NavItem(
        "Escalations", "followup:escalations", _oversight, "Safety concerns raised in audits, with deadlines."
    ),
    NavItem(
        "Outcomes",
        "outcomes:dashboard",
        _dashboard,
        "Measures by the results logic: trends, targets and how you compare.",
    ),
    NavItem("Reports", "reports:list", _reports, "Quarterly outcome reports to read, download and generate."),
    NavItem(
        "QA overview",
        "oversight:overview",
        _oversight_dashboard,
        "Audits in progress and overdue, moderation, imports and jobs at a glance.",
    ),
    NavItem("Compare", "outcomes:compare", _compare, "Authorities side by side on comparable measures."),
    NavItem("All authorities", "accounts:authorities", _all_authorities, "Every authority on the platform."),
    # The programme around the platform.
    NavItem(
        "Staff survey",
        "surveys:home",
        _surveys,
        "Answer the staff survey; results and action research reports.",
        PROGRAMME,
    ),
    NavItem(
        "Workshops",
        "journal:workshops",
        _workshops,
        "The programme's workshops: answer a poll at its short link and watch the answers arrive.",
        PROGRAMME,
    ),
    NavItem(
        "Reflections",
        "journal:reflections",
        _has_authority,
        "Your authority's quarterly reflection: its biggest achievement and challenge.",
        PROGRAMME,
    ),
    NavItem(
        "Journal",
        "journal:list",
        _journal,
        "The quarterly journal: what authorities achieved and found hard, and the programme in numbers.",
        PROGRAMME,
    ),
    NavItem(
        "Knowledge",
        "knowledge:library",
        _knowledge,
        "Guidance, tools and research tied to the practice elements and the results logic.",
        PROGRAMME,
    ),
    NavItem(
        "Imports",
        "cases:imports",
        _authority_overview,
        "Statutory returns imported, and what was rejected.",
        MANAGE,
    ),
    NavItem(
        "Exports", "exports:index", _exports, "Measure values and audit answers as CSV or Excel.", MANAGE
    ),
    NavItem(
        "Measure jobs",
        "jobs:list",
        _authority_overview,
        "When the measures were last counted, what is waiting, and recompute now.",
        MANAGE,
    ),
    NavItem(
        "Teams", "accounts:teams", _has_authority, "The teams of your authority and who is in them.", MANAGE
    ),
    NavItem(
        "Authority",
        "accounts:authority",
        _authority_overview,
        "Your authority's details, teams and people.",
        MANAGE,
    ),
    NavItem(
        "Knowledge access",
        "knowledge:access",
        _knowledge_access,
        "Who has access to the knowledge bank, until when.",
        MANAGE,
    ),
    NavItem(
        "Feedback inbox",
        "feedback:inbox",
        _triage_feedback,
        "Feedback from everyone on the platform, to triage with notes.",
        MANAGE,
    ),
    NavItem("Admin", "admin:index", _admin, "Configure teams, people and the platform.", MANAGE),
]


def items_for(user, membership) -> list[dict[str, str]]:
    """The entries the user may use, in menu order; ``group`` names the menu an entry is shown in
    (only when that menu would hold at least ``MANAGE_MINIMUM`` entries), else it is empty."""
    if not user.is_authenticated:
        return []
    allowed = [item for item in ITEMS if item.allowed(user, membership)]
    sizes = Counter(item.group for item in allowed if item.group)
    return [
        {
            "label": item.label,
            "url": reverse(item.url_name),
            "url_name": item.url_name,
            "description": item.description,
            "group": item.group if sizes[item.group] >= MANAGE_MINIMUM else "",
        }
        for item in allowed
    ]
