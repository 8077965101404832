"""Drawing the cases an authority audits: monthly random samples and thematic samples.

A ``SamplingPlan`` is drawn once per month (``SampleDraw``, unique per plan and month), by the daily
job (``draw_due_plans``, from the plan's ``day_of_month``) or on demand ("Draw now" in the admin).

**The draw date.** A draw looks at the cases open on its draw date: today, when the draw is made
during the month it is for (on schedule or on demand); the first day of the month when a past
month is drawn late. Months that have not started cannot be drawn. The draw date is kept in the
draw's summary.

**Open cases and their type** (on the draw date, children with a team only, since the audit is
allocated within the team). Each open case is in exactly one stratum, so no case is counted twice:

- looked after (``cla``): an open care episode (started on or before the draw date, not ended);
- child protection (``cp``): an open child protection plan, and not looked after;
- child in need (``cin``): an open referral (CIN episode), and neither of the above.

"Open" means started on or before the draw date and with no end (closure) date, or one after it.

**Never audited twice in a row.** A child with an audit created within ``exclude_audited_months``
months before the draw date, or with an audit not yet signed off, is not eligible.

**Random samples** (source "random"): per team, ``cin_per_team``, ``cp_per_team`` and
``cla_per_team`` cases drawn without replacement (all of them when fewer are eligible).

**Thematic samples** (source "thematic"): up to ``theme_size`` eligible cases matching the plan's
``theme``, one of ``THEMES``:

- ``cp_over_18_months``: on a child protection plan that started more than 18 months before the
  draw date;
- ``rereferred_12m``: an open referral that came within 12 months of the child's previous
  referral (the definition of the ``rereferrals_12m`` measure: an earlier referral dated on or
  after the referral date minus one year);
- ``cla_no_kinship``: looked after, and the open episode's placement is not with relatives or
  friends (placement codes other than U1–U3).

**Reproducible.** The eligible cases are listed in a fixed order (team, then LA child ID) and
picked with ``random.Random(seed)``, teams in the order of their id and strata in the order cin,
cp, cla. The seed is stored on the draw: the same seed over the same case data picks the same
cases. A new random seed is chosen when none is given.

**Allocation.** Each drawn case becomes a planned audit (``audits.auditing.audit_create``): the
practitioner is a practitioner member of the child's team (the first by username; the team manager
when the team has no practitioner), the auditor the team's manager (the first by username), or the
authority's first QA lead when the team has no manager or the manager is the practitioner. A case
for which nobody can be found is left out and listed in the summary.
"""

import logging
import random
import secrets
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts import access
from accounts.models import Membership, Role
from audits.models import Audit, AuditSource, AuditStatus, SampleDraw, SamplingPlan
from cases.models import CareEpisode, Child, CPPlan, Referral

logger = logging.getLogger(__name__)

CIN, CP, CLA = "cin", "cp", "cla"
STRATA = (CIN, CP, CLA)
STRATUM_LABELS = {CIN: "Child in need", CP: "Child protection", CLA: "Looked after"}
THEME = "theme"
KINSHIP_PLACEMENTS = ("U1", "U2", "U3")


def _today() -> date:
    # A seam for tests.
    return timezone.localdate()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (earlier when negative), or the month's last day when it is
    shorter (31 March minus one month is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def draw_date(*, month: date, today: date | None = None) -> date:
    """The date whose open cases a draw for ``month`` looks at (see the module docstring)."""
    today = today or _today()
    month = first_of_month(month)
    if month > first_of_month(today):
        raise ValidationError(f"{month:%B %Y} has not started: its sample cannot be drawn yet.")
    return today if month == first_of_month(today) else month


def scheduled_day(plan: SamplingPlan, month: date) -> date:
    """The day of ``month`` the plan is drawn on: ``day_of_month``, or the month's last day when
    the month is shorter."""
    last = monthrange(month.year, month.month)[1]
    return month.replace(day=max(1, min(plan.day_of_month, last)))


# --- open cases on a date ---------------------------------------------------------------------


def _open_on(model, on: date, *, start: str, end: str) -> QuerySet:
    return model.objects.filter(
        Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": on}), child=OuterRef("pk"), **{f"{start}__lte": on}
    )


def open_cases(*, authority_id: int, on: date) -> QuerySet:
    """The authority's children with a team and an open case on ``on``, annotated with ``stratum``
    flags ``is_cin``, ``is_cp`` and ``is_cla`` (exclusive, see the module docstring)."""
    is_cla = Exists(_open_on(CareEpisode, on, start="start_date", end="end_date"))
    is_cp = Exists(_open_on(CPPlan, on, start="start_date", end="end_date"))
    is_referred = Exists(_open_on(Referral, on, start="referral_date", end="closure_date"))
    return (
        Child.objects.filter(authority_id=authority_id, team__isnull=False)
        .annotate(is_cla=is_cla, is_cp_plan=is_cp, is_referred=is_referred)
        .filter(Q(is_cla=True) | Q(is_cp_plan=True) | Q(is_referred=True))
    )


def recently_audited(*, on: date, months: int) -> QuerySet[Audit]:
    """Audits that make their child ineligible on ``on``: created within ``months`` months before
    it, or not yet signed off."""
    condition = ~Q(status=AuditStatus.SIGNED_OFF)
    if months:
        since = timezone.make_aware(datetime.combine(add_months(on, -months), time.min))
        condition |= Q(created_at__gte=since)
    return Audit.objects.filter(condition)


def stratum_of(row: dict) -> str:
    if row["is_cla"]:
        return CLA
    if row["is_cp_plan"]:
        return CP
    return CIN


# --- themes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    key: str
    label: str
    description: str

    def matching(self, children: QuerySet, *, on: date) -> QuerySet:
        return THEME_FILTERS[self.key](children, on)


def _cp_over_18_months(children: QuerySet, on: date) -> QuerySet:
    long_plans = _open_on(CPPlan, on, start="start_date", end="end_date").filter(
        start_date__lt=add_months(on, -18)
    )
    return children.filter(Exists(long_plans))


def _rereferred_12m(children: QuerySet, on: date) -> QuerySet:
    from outcomes.models import CalendarDay
    from outcomes.services import calendar_ensure

    open_referrals = Referral.objects.filter(
        Q(closure_date__isnull=True) | Q(closure_date__gt=on),
        child__in=children.values("pk"),
        referral_date__lte=on,
    )
    bounds = open_referrals.aggregate(first=Min("referral_date"), last=Max("referral_date"))
    if bounds["first"] is None:
        return children.none()
    # The calendar table holds "the same day a year before" (29 February → 28 February), as the
    # re-referral measure reads it.
    calendar_ensure(first=bounds["first"], last=bounds["last"])
    year_before = Subquery(
        CalendarDay.objects.filter(day=OuterRef("referral_date")).values("one_year_before")[:1]
    )
    earlier_within_a_year = Referral.objects.filter(
        child=OuterRef("child"),
        referral_date__lt=OuterRef("referral_date"),
        referral_date__gte=OuterRef("year_before"),
    )
    rereferrals = (
        _open_on(Referral, on, start="referral_date", end="closure_date")
        .annotate(year_before=year_before)
        .filter(Exists(earlier_within_a_year))
    )
    return children.filter(Exists(rereferrals))


def _cla_no_kinship(children: QuerySet, on: date) -> QuerySet:
    outside_family = _open_on(CareEpisode, on, start="start_date", end="end_date").exclude(
        placement__in=KINSHIP_PLACEMENTS
    )
    return children.filter(Exists(outside_family))


THEMES: dict[str, Theme] = {
    theme.key: theme
    for theme in (
        Theme(
            "cp_over_18_months",
            "Child protection plans over 18 months",
            "Children on a child protection plan that started more than 18 months before the draw.",
        ),
        Theme(
            "rereferred_12m",
            "Re-referred within 12 months",
            "Children whose open referral came within 12 months of their previous referral.",
        ),
        Theme(
            "cla_no_kinship",
            "Looked after, not with family or friends",
            "Looked-after children whose placement is not with relatives or friends (not U1–U3).",
        ),
    )
}
THEME_FILTERS = {
    "cp_over_18_months": _cp_over_18_months,
    "rereferred_12m": _rereferred_12m,
    "cla_no_kinship": _cla_no_kinship,
}
THEME_CHOICES = [(theme.key, theme.label) for theme in THEMES.values()]


# --- allocation -------------------------------------------------------------------------------


@dataclass
class Allocation:
    """Who audits the cases of each team of one authority, read in one query."""

    practitioners: dict[int, list]
    managers: dict[int, list]
    qa_leads: list

    @classmethod
    def of(cls, authority_id: int) -> "Allocation":
        memberships = (
            Membership.objects.filter(
                authority_id=authority_id,
                user__is_active=True,
                role__in=[Role.PRACTITIONER, Role.TEAM_MANAGER, Role.QA_LEAD],
            )
            .select_related("user")
            .order_by("user__username")
        )
        allocation = cls(practitioners={}, managers={}, qa_leads=[])
        for membership in memberships:
            if membership.role == Role.QA_LEAD:
                allocation.qa_leads.append(membership.user)
            elif membership.team_id is not None:
                by_role = (
                    allocation.practitioners if membership.role == Role.PRACTITIONER else allocation.managers
                )
                by_role.setdefault(membership.team_id, []).append(membership.user)
        return allocation

    def people_for(self, team_id: int):
        """(practitioner, auditor) for a case of the team, either ``None`` when nobody fits."""
        managers = self.managers.get(team_id, [])
        practitioners = self.practitioners.get(team_id, [])
        practitioner = practitioners[0] if practitioners else (managers[0] if managers else None)
        auditor = next((manager for manager in managers if manager != practitioner), None)
        if auditor is None:
            auditor = next((lead for lead in self.qa_leads if lead != practitioner), None)
        return practitioner, auditor


# --- the draw ---------------------------------------------------------------------------------


def new_seed() -> int:
    return secrets.randbits(48)


def draw(
    *, plan: SamplingPlan, month: date, acting_user=None, seed: int | None = None, on: date | None = None
) -> SampleDraw:
    """Draw the plan's sample for ``month`` and create its audits; return the draw.

    One draw per plan and month: when the month is already drawn, that draw is returned unchanged
    (whatever ``seed``). ``acting_user`` is the person asking ("Draw now"; ``None`` for the
    scheduled job) and must be allowed to manage the authority's sampling. ``on`` overrides the
    draw date (see the module docstring). Raises ``PermissionDenied`` or ``ValidationError``.
    """
    month = first_of_month(month)
    if acting_user is not None and not access.may_manage_sampling(acting_user, plan.authority_id):
        raise PermissionDenied("Only the authority's QA leads draw its audit samples.")
    existing = SampleDraw.objects.filter(plan=plan, month=month).first()
    if existing is not None:
        return existing
    on = on or draw_date(month=month)
    if plan.source == AuditSource.THEMATIC and plan.theme not in THEMES:
        raise ValidationError(f"{plan.name}: {plan.theme!r} is not a known theme ({', '.join(THEMES)}).")
    seed = new_seed() if seed is None else seed
    try:
        with transaction.atomic():
            the_draw = SampleDraw.objects.create(plan=plan, month=month, seed=seed, drawn_by=acting_user)
            the_draw.summary = _draw_cases(plan=plan, the_draw=the_draw, on=on, acting_user=acting_user)
            the_draw.save(update_fields=["summary"])
    except IntegrityError:
        # Another process drew this month a moment ago: its draw stands.
        existing = SampleDraw.objects.filter(plan=plan, month=month).first()
        if existing is None:
            raise
        return existing
    return the_draw


def _draw_cases(*, plan: SamplingPlan, the_draw: SampleDraw, on: date, acting_user) -> dict:
    from audits.auditing import audit_create

    thematic = plan.source == AuditSource.THEMATIC
    candidates = open_cases(authority_id=plan.authority_id, on=on)
    excluded = candidates.filter(
        pk__in=recently_audited(on=on, months=plan.exclude_audited_months).values("child_id")
    )
    # Counted before this draw's own audits exist (they are in progress, so would count).
    excluded_count = excluded.count()
    eligible = candidates.exclude(pk__in=excluded.values("pk"))
    if thematic:
        eligible = THEMES[plan.theme].matching(eligible, on=on)
    rows = list(
        eligible.order_by("team_id", "la_child_id", "pk").values(
            "pk", "team_id", "team__name", "is_cla", "is_cp_plan"
        )
    )
    rng = random.Random(the_draw.seed)
    teams: dict[int, dict] = {}
    pools: dict[tuple[int, str], list[int]] = {}
    for row in rows:
        stratum = THEME if thematic else stratum_of(row)
        teams.setdefault(row["team_id"], {"team_id": row["team_id"], "team": row["team__name"]})
        pools.setdefault((row["team_id"], stratum), []).append(row["pk"])

    picked: list[tuple[int, str, int]] = []  # (team id, stratum, child id)
    if thematic:
        pool = [(row["team_id"], row["pk"]) for row in rows]
        for team_id, child_id in rng.sample(pool, min(plan.theme_size, len(pool))):
            picked.append((team_id, THEME, child_id))
    else:
        sizes = {CIN: plan.cin_per_team, CP: plan.cp_per_team, CLA: plan.cla_per_team}
        for team_id in sorted(teams):
            for stratum in STRATA:
                pool_ids = pools.get((team_id, stratum), [])
                for child_id in rng.sample(pool_ids, min(sizes[stratum], len(pool_ids))):
                    picked.append((team_id, stratum, child_id))

    allocation = Allocation.of(plan.authority_id)
    children = Child.objects.in_bulk([child_id for _team, _stratum, child_id in picked])
    drawn: dict[tuple[int, str], int] = {}
    unallocated = []
    for team_id, stratum, child_id in picked:
        child = children[child_id]
        practitioner, auditor = allocation.people_for(team_id)
        if practitioner is None or auditor is None:
            unallocated.append({"child": child.la_child_id, "team": teams[team_id]["team"]})
            continue
        audit_create(
            child=child,
            practitioner=practitioner,
            auditor=auditor,
            acting_user=acting_user,
            tool=plan.tool,
            source=plan.source,
            draw=the_draw,
            due_on=on + timedelta(days=plan.due_days),
        )
        drawn[(team_id, stratum)] = drawn.get((team_id, stratum), 0) + 1

    strata = (THEME,) if thematic else STRATA
    for team_id, team in teams.items():
        for stratum in strata:
            team[stratum] = {
                "eligible": len(pools.get((team_id, stratum), [])),
                "drawn": drawn.get((team_id, stratum), 0),
            }
    return {
        "drawn_on": on.isoformat(),
        "source": plan.source,
        "theme": plan.theme if thematic else "",
        "strata": list(strata),
        "excluded_recently_audited": excluded_count,
        "teams": sorted(teams.values(), key=lambda team: (team["team"], team["team_id"])),
        "eligible": len(rows),
        "drawn": sum(drawn.values()),
        "unallocated": unallocated,
    }


def drawn_children(the_draw: SampleDraw) -> list[str]:
    """The LA child IDs of the draw's audits, sorted (to compare draws)."""
    return sorted(the_draw.audits.values_list("child__la_child_id", flat=True))


def draw_due_plans(today: date | None = None) -> list[SampleDraw]:
    """Draw every active plan whose day of the month has come and that has no draw for this month
    yet; returns the new draws. A plan that cannot be drawn (for instance its tool is not in use in
    the authority) is logged and left for the next run; the others are still drawn."""
    today = today or _today()
    month = first_of_month(today)
    plans = (
        SamplingPlan.objects.filter(is_active=True)
        .exclude(draws__month=month)
        .select_related("authority", "tool")
        .order_by("pk")
    )
    draws = []
    for plan in plans:
        if scheduled_day(plan, month) > today:
            continue
        try:
            draws.append(draw(plan=plan, month=month, on=today))
        except (ValidationError, ObjectDoesNotExist, PermissionDenied):
            logger.exception("The sample of plan %s for %s could not be drawn", plan.pk, month)
    return draws
