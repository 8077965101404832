"""The demo authorities' report branding: colours and a foreword (made up)."""

from django.db import transaction

from accounts.models import Authority, Membership, Role
from reports.models import ReportBranding

COLOURS = {
    "991": ("#1f4e79", "#c55a11"),
    "992": ("#23604a", "#b8860b"),
    "993": ("#5b2a6e", "#d0743c"),
    "994": ("#7a1f2b", "#2f6f8f"),
    "995": ("#25476b", "#4e8f3a"),
}

INTRODUCTION = (
    "This report is for the Corporate Parenting Panel and the Safeguarding Partnership. It sets our "
    "statutory returns beside what practitioners, families and children told us in this quarter's "
    "participatory audits, so that we can see both how much we did and how well we did it.\n\n"
    "Where a figure is off target, the learning actions section shows what teams agreed to do about it."
)


@transaction.atomic
def seed_branding(*, codes: list[str]) -> int:
    """Colours and an introduction for each authority without branding, attributed to its QA lead."""
    created = 0
    for authority in Authority.objects.filter(code__in=codes).order_by("code"):
        if ReportBranding.objects.filter(authority=authority).exists():
            continue
        lead = (
            Membership.objects.filter(authority=authority, role=Role.QA_LEAD).select_related("user").first()
        )
        primary, accent = COLOURS.get(authority.code, ("#1f4e79", "#c55a11"))
        branding = ReportBranding(
            authority=authority, primary_colour=primary, accent_colour=accent, introduction=INTRODUCTION
        )
        branding._history_user = lead.user if lead else None  # type: ignore[attr-defined]
        branding.save()
        created += 1
    return created
