"""Reads for the QA lead's dashboard: the audit pipeline by team, moderation this quarter, overdue
learning actions and safety escalations, the last imports and the last job runs of one authority.

Every read is one query (the agreement two), whatever the number of audits, actions or runs:
``overview`` issues a fixed number of queries.

- **Pipeline**: the authority's audits not signed off, by team and stage: planned (not started),
  in progress (self-assessment or conversation), sent back (in progress, its last move a send
  back), submitted (waiting for sign-off or for the moderator to start), in moderation; overdue is
  any of those past its due date (``due_on`` before today). Signed off this quarter counts audits
  signed off since the first day of the current financial quarter (local time).
- **Moderation**: moderations waiting (not completed, the audit submitted or in moderation), those
  completed this quarter and how many overturned the grade, and the agreement of the quarter's
  completed moderations (``audits.moderation.agreement_overall``: weighted kappa and shares).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import BooleanField, Count, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from audits.agreement import Agreement
from audits.models import (
    Audit,
    AuditMove,
    AuditStatus,
    EscalationStatus,
    LearningAction,
    Moderation,
    SafetyEscalation,
)
from audits.moderation import agreement_overall
from cases.models import ImportRun
from outcomes.models import JobRun, JobStatus
from outcomes.periods import Period, PeriodType, period_containing

S = AuditStatus
RECENT = 5
IN_PROGRESS = (S.SELF_ASSESSMENT, S.CONVERSATION)
WAITING_FOR_MODERATION = (S.SUBMITTED, S.MODERATION)


def _now() -> datetime:
    # A seam for tests.
    return timezone.now()


@dataclass(frozen=True)
class PipelineRow:
    """Audit counts of one team (``team_id`` None: audits without a team; the total row: "All teams")."""

    team_id: int | None
    team: str
    planned: int = 0
    in_progress: int = 0
    sent_back: int = 0
    submitted: int = 0
    in_moderation: int = 0
    overdue: int = 0
    signed_off: int = 0  # this quarter

    @property
    def open(self) -> int:
        return self.planned + self.in_progress + self.sent_back + self.submitted + self.in_moderation


COUNTS = ("planned", "in_progress", "sent_back", "submitted", "in_moderation", "overdue", "signed_off")


@dataclass(frozen=True)
class Pipeline:
    teams: list[PipelineRow]
    total: PipelineRow


@dataclass(frozen=True)
class ModerationSummary:
    waiting: int
    completed: int  # this quarter
    overturned: int  # this quarter
    agreement: Agreement


@dataclass(frozen=True)
class TeamActions:
    team_id: int
    team: str
    overdue: int
    oldest_due: date


@dataclass(frozen=True)
class Overview:
    quarter: Period
    pipeline: Pipeline
    moderation: ModerationSummary
    actions: list[TeamActions]
    escalations_overdue: int
    escalations: list[SafetyEscalation]
    imports: list[ImportRun]
    jobs: list[JobRun]
    today: date = field(default_factory=timezone.localdate)

    @property
    def actions_overdue(self) -> int:
        return sum(row.overdue for row in self.actions)

    @property
    def more_escalations(self) -> int:
        """Overdue escalations beyond the ones listed."""
        return self.escalations_overdue - len(self.escalations)

    @property
    def jobs_running(self) -> bool:
        return jobs_running(self.jobs)


def quarter_start(quarter: Period) -> datetime:
    """The first moment of the quarter, local time."""
    return timezone.make_aware(datetime.combine(quarter.start, time.min))


def audit_pipeline(*, authority_id: int, today: date, since: datetime) -> Pipeline:
    """Open audits by team and stage, and those signed off since ``since``: one GROUP BY query."""
    last_move = AuditMove.objects.filter(audit=OuterRef("pk")).order_by("-moved_at", "-pk")
    sent_back = Q(status__in=IN_PROGRESS, last_send_back=True)
    is_open = ~Q(status=S.SIGNED_OFF)
    grouped = (
        Audit.objects.filter(authority_id=authority_id)
        .filter(is_open | Q(status=S.SIGNED_OFF, signed_off_at__gte=since))
        # An audit with no recorded move was never sent back (False, not NULL, so NOT works).
        .annotate(
            last_send_back=Coalesce(
                Subquery(last_move.values("is_send_back")[:1]), Value(False), output_field=BooleanField()
            )
        )
        .values("team_id", "team__name")
        .annotate(
            planned=Count("pk", filter=Q(status=S.PLANNED)),
            in_progress=Count("pk", filter=Q(status__in=IN_PROGRESS) & ~sent_back),
            sent_back=Count("pk", filter=sent_back),
            submitted=Count("pk", filter=Q(status=S.SUBMITTED)),
            in_moderation=Count("pk", filter=Q(status=S.MODERATION)),
            overdue=Count("pk", filter=is_open & Q(due_on__lt=today)),
            signed_off=Count("pk", filter=Q(status=S.SIGNED_OFF)),
        )
        .order_by("team__name", "team_id")
    )
    teams = [
        PipelineRow(
            team_id=row["team_id"],
            team=row["team__name"] or "No team",
            **{name: row[name] for name in COUNTS},
        )
        for row in grouped
    ]
    # Audits without a team last.
    teams.sort(key=lambda row: row.team_id is None)
    total = PipelineRow(
        team_id=None, team="All teams", **{name: sum(getattr(row, name) for row in teams) for name in COUNTS}
    )
    return Pipeline(teams=teams, total=total)


def moderation_summary(*, authority_id: int, since: datetime) -> ModerationSummary:
    """Moderations waiting now, and completed and overturned since ``since``, with their agreement
    (three queries)."""
    done = Q(completed_at__gte=since)
    figures = Moderation.objects.filter(audit__authority_id=authority_id).aggregate(
        waiting=Count("pk", filter=Q(completed_at__isnull=True, audit__status__in=WAITING_FOR_MODERATION)),
        completed=Count("pk", filter=done),
        overturned=Count("pk", filter=done & Q(overturned_level__isnull=False)),
    )
    return ModerationSummary(
        waiting=figures["waiting"],
        completed=figures["completed"],
        overturned=figures["overturned"],
        agreement=agreement_overall(authority_id=authority_id, since=timezone.localdate(since)),
    )


def overdue_actions_by_team(*, authority_id: int, today: date) -> list[TeamActions]:
    """Open learning actions past their due date, counted per team (by team name)."""
    rows = (
        LearningAction.objects.filter(
            team__authority_id=authority_id, completed_on__isnull=True, due_on__lt=today
        )
        .values("team_id", "team__name")
        .annotate(overdue=Count("pk"), oldest_due=Min("due_on"))
        .order_by("team__name", "team_id")
    )
    return [
        TeamActions(
            team_id=row["team_id"],
            team=row["team__name"],
            overdue=row["overdue"],
            oldest_due=row["oldest_due"],
        )
        for row in rows
    ]


def overdue_escalations(*, authority_id: int, now: datetime):
    """Open safety escalations of the authority past their deadline, the longest overdue first."""
    return (
        SafetyEscalation.objects.filter(
            audit__authority_id=authority_id, status=EscalationStatus.OPEN, respond_by__lt=now
        )
        .select_related("audit__child", "audit__team", "manager")
        .order_by("respond_by", "pk")
    )


def recent_imports(*, authority_id: int) -> list[ImportRun]:
    """The authority's last imports (their problem lists, which can be long, stay in the database)."""
    return list(
        ImportRun.objects.filter(authority_id=authority_id)
        .select_related("imported_by")
        .defer("problems")
        .order_by("-created_at", "-pk")[:RECENT]
    )


def recent_jobs(*, authority_id: int) -> list[JobRun]:
    return list(JobRun.objects.filter(authority_id=authority_id).order_by("-started_at", "-pk")[:RECENT])


def jobs_running(runs: list[JobRun]) -> bool:
    return any(run.status == JobStatus.RUNNING for run in runs)


def overview(*, authority_id: int) -> Overview:
    """Everything the QA lead's dashboard shows, for one authority: a fixed number of queries."""
    now = _now()
    today = timezone.localdate(now)
    quarter = period_containing(PeriodType.QUARTER, today)
    since = quarter_start(quarter)
    escalations = overdue_escalations(authority_id=authority_id, now=now)
    return Overview(
        quarter=quarter,
        pipeline=audit_pipeline(authority_id=authority_id, today=today, since=since),
        moderation=moderation_summary(authority_id=authority_id, since=since),
        actions=overdue_actions_by_team(authority_id=authority_id, today=today),
        escalations_overdue=escalations.count(),
        escalations=list(escalations[:RECENT]),
        imports=recent_imports(authority_id=authority_id),
        jobs=recent_jobs(authority_id=authority_id),
        today=today,
    )
