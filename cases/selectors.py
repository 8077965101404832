"""Reads of case data: the case list, one child's timeline, import runs."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from cases.models import Assessment, CareEpisode, Child, CINPlan, CPPlan, ImportRun, Referral, Section47


class CaseStatus:
    CIN = "cin"
    CP = "cp"
    CLA = "cla"
    CLOSED = "closed"
    CHOICES = [
        (CIN, "Open child in need episode"),
        (CP, "On a child protection plan"),
        (CLA, "Looked after"),
        (CLOSED, "Nothing open"),
    ]


def case_list(
    *,
    user,
    authority_id: int,
    team_id: int | None = None,
    status: str | None = None,
    referred_from: date | None = None,
    referred_to: date | None = None,
) -> QuerySet[Child]:
    """The authority's children the user may see (``Child.objects.for_user``) with what is open
    for each; a fixed number of queries."""
    open_cin = Referral.objects.filter(child=OuterRef("pk"), closure_date__isnull=True)
    open_cp = CPPlan.objects.filter(child=OuterRef("pk"), end_date__isnull=True)
    open_cla = CareEpisode.objects.filter(child=OuterRef("pk"), end_date__isnull=True)
    children = (
        Child.objects.for_user(user)
        .filter(authority_id=authority_id)
        .select_related("team")
        .annotate(
            # A subquery per child, not a GROUP BY over every referral: each is one step down the
            # (child, referral date) index, and the page is sorted on it before the rest is read.
            latest_referral=Subquery(
                Referral.objects.filter(child=OuterRef("pk"))
                .order_by("-referral_date")
                .values("referral_date")[:1]
            ),
            is_cin=Exists(open_cin),
            is_cp=Exists(open_cp),
            is_cla=Exists(open_cla),
        )
    )
    if team_id:
        children = children.filter(team_id=team_id)
    if status == CaseStatus.CIN:
        children = children.filter(is_cin=True)
    elif status == CaseStatus.CP:
        children = children.filter(is_cp=True)
    elif status == CaseStatus.CLA:
        children = children.filter(is_cla=True)
    elif status == CaseStatus.CLOSED:
        children = children.filter(is_cin=False, is_cp=False, is_cla=False)
    if referred_from:
        children = children.filter(referrals__referral_date__gte=referred_from)
    if referred_to:
        children = children.filter(referrals__referral_date__lte=referred_to)
    if referred_from or referred_to:
        children = children.distinct()
    return children.order_by("-latest_referral", "la_child_id")


@dataclass(frozen=True)
class TimelineEntry:
    day: date
    kind: str
    title: str
    detail: str
    end: date | None = None


def _days(start: date, end: date | None) -> str:
    return f"{(end - start).days} days" if end else "open"


def child_timeline(*, child: Child) -> list[TimelineEntry]:
    """Every event of the child's case, newest first (one query per kind of event)."""
    entries: list[TimelineEntry] = []
    for r in Referral.objects.filter(child=child):
        detail = ", ".join(
            part
            for part in [
                f"source {r.referral_source}" if r.referral_source else "",
                f"primary need {r.primary_need}" if r.primary_need else "",
                "no further action" if r.nfa else "",
                f"closed {r.closure_date:%d %b %Y} ({r.closure_reason})" if r.closure_date else "open",
            ]
            if part
        )
        entries.append(TimelineEntry(r.referral_date, "referral", "Referral", detail, r.closure_date))
    for a in Assessment.objects.filter(child=child):
        detail = (
            f"authorised {a.authorisation_date:%d %b %Y}" if a.authorisation_date else "not yet authorised"
        )
        if a.factors:
            detail += f"; factors {', '.join(a.factors)}"
        entries.append(TimelineEntry(a.start_date, "assessment", "Assessment", detail, a.authorisation_date))
    for p in CINPlan.objects.filter(child=child):
        entries.append(
            TimelineEntry(
                p.start_date, "cin_plan", "Child in need plan", _days(p.start_date, p.end_date), p.end_date
            )
        )
    for s in Section47.objects.filter(child=child):
        if s.icpc_date:
            detail = f"initial conference {s.icpc_date:%d %b %Y}"
        elif s.icpc_not_required:
            detail = "conference not required"
        else:
            detail = "no conference recorded"
        entries.append(TimelineEntry(s.start_date, "section47", "Section 47 enquiry", detail, s.icpc_date))
    for c in CPPlan.objects.filter(child=child):
        detail = f"category {c.initial_category or '?'}"
        if c.latest_category and c.latest_category != c.initial_category:
            detail += f" → {c.latest_category}"
        detail += f"; {_days(c.start_date, c.end_date)}"
        if c.previous_plans:
            detail += f"; {c.previous_plans} previous plan(s)"
        entries.append(TimelineEntry(c.start_date, "cp_plan", "Child protection plan", detail, c.end_date))
    for e in CareEpisode.objects.filter(child=child):
        detail = f"placement {e.placement or '?'}, legal status {e.legal_status or '?'}"
        if e.end_date:
            detail += f"; ended {e.end_date:%d %b %Y} ({e.reason_end})"
        entries.append(TimelineEntry(e.start_date, "care", "Looked-after episode", detail, e.end_date))
    return sorted(entries, key=lambda entry: (entry.day, entry.kind), reverse=True)


def import_runs(*, authority_id: int) -> QuerySet[ImportRun]:
    return ImportRun.objects.filter(authority_id=authority_id).select_related("imported_by")
