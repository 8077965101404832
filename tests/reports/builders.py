"""Demo-like data for the report tests: three authorities with case records, signed-off audits with
their notes, learning actions and family feedback over the last five quarters, a target, a branding
with a logo, and the stored measures (computed by the aggregation job); and two more authorities with
stored figures only, so that the five a benchmark needs have a value."""

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from accounts.models import Authority, Role
from audits import services as library
from audits.models import (
    Answer,
    Audit,
    AuditAnswer,
    AuditStatus,
    FeedbackRequest,
    LearningAction,
    Response,
    Tool,
)
from audits.selectors import resolved_tool, tool_in_use
from audits.voice import feedback_tool_in_use
from cases.models import Child
from outcomes.models import MeasureTarget, MeasureValue
from outcomes.services import measures_compute, rate_value
from reports import quarters
from reports.models import ReportBranding
from tests.conftest import make_personas
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.outcomes.builders import assessment, child, episode, referral

# The three columns of every audit's conversation: each column mentions the safety network.
NOTES = {
    "what-working-well": "Mum and dad wrote the safety rules with the network and keep to them.",
    "what-worried-about": "The safety network is only professionals; Sam's aunt has not been asked.",
    "what-needs-to-happen": "Ask the child, the parents and two network members to scale safety.",
}
INTRODUCTION = "A foreword for the councillors of Ashdown.\n\nA second paragraph about the quarter."


# Authorities with stored figures only, copied from an authority with records: (code, name, copied).
FIGURES_ONLY = (("994", "Dunmere", "992"), ("995", "Eastholm", "993"))


@dataclass
class Built:
    personas: object
    calderbridge: Authority
    quarter_start: date


def _cases(
    authority: Authority, team, quarter_start: date, *, referrals: int, rereferred: int, late: int
) -> None:
    """Referrals in the quarter (``rereferred`` of them for children referred in the last year),
    assessments authorised in it (``late`` of ten after more than 45 working days), and the same
    activity a quarter and a year before, so that trends have points."""
    for offset, scale in ((0, 1), (-1, 1), (-4, 2)):
        start = quarters.shift(quarter_start, offset)
        for number in range(referrals * scale):
            kid = child(authority, team=team)
            day = start + timedelta(days=number % 80)
            referral(kid, day.isoformat())
            if number < rereferred:
                referral(kid, (day - timedelta(days=120)).isoformat())
        for number in range(10):
            kid = child(authority, team=team)
            authorised = start + timedelta(days=10 + number)
            started = authorised - timedelta(days=80 if number < late else 20)
            assessment(kid, started.isoformat(), authorised.isoformat())
    for number in range(6):
        episode(child(authority, team=team), (quarter_start + timedelta(days=3 + number)).isoformat())


def _audits(authority: Authority, quarter_start: date, *, per_quarter: int, level: int) -> None:
    """``per_quarter`` signed-off audits in each of the last five quarters, every rubric item agreed
    at ``level``, with the three columns, a learning action (due a month after sign-off, done on
    time) and the family's answered feedback."""
    people = {m.role: m.user for m in authority.memberships.select_related("user")}
    practitioner, qa_lead = people[Role.PRACTITIONER], people[Role.QA_LEAD]
    tool = Tool.objects.get(key="case-audit", authority__isnull=True)
    library.tool_adopt(authority=authority, tool=tool, acting_user=qa_lead)
    version, adaptation = tool_in_use(authority=authority, tool=tool)
    rubric = [
        item.key
        for item in resolved_tool(version=version, adaptation=adaptation).items()
        if item.type == "rubric"
    ]
    family_version, family_adaptation = feedback_tool_in_use(
        authority=authority, respondent="family", acting_user=qa_lead
    )
    children = list(Child.objects.filter(authority=authority, team__isnull=False)[:per_quarter])
    for offset in range(-4, 1):
        start = quarters.shift(quarter_start, offset)
        for number, kid in enumerate(children):
            assert kid.team_id is not None
            signed = timezone.make_aware(datetime.combine(start + timedelta(days=5 + number), time(15)))
            audit = Audit.objects.create(
                authority=authority,
                child=kid,
                team_id=kid.team_id,
                tool_version=version,
                adaptation=adaptation,
                practitioner=practitioner,
                auditor=qa_lead,
                status=AuditStatus.SIGNED_OFF,
                overall_level=level,
                family_consent="given",
                submitted_at=signed,
                signed_off_at=signed,
                signed_off_by=qa_lead,
            )
            AuditAnswer.objects.bulk_create(
                [
                    AuditAnswer(audit=audit, item_key=key, auditor_level=level, agreed_level=level)
                    for key in rubric
                ]
                + [AuditAnswer(audit=audit, item_key=key, value=text) for key, text in NOTES.items()]
            )
            LearningAction.objects.create(
                audit=audit,
                team_id=kid.team_id,
                description="Scale safety with the network.",
                owner=practitioner,
                due_on=signed.date() + timedelta(days=30),
                completed_on=signed.date() + timedelta(days=20),
                created_by=qa_lead,
            )
            response = Response.objects.create(
                authority=authority, tool_version=family_version, adaptation=family_adaptation
            )
            Answer.objects.bulk_create(
                [
                    Answer(response=response, item_key="explained-worries", value="yes"),
                    Answer(response=response, item_key="your-plan", value=7),
                ]
            )
            FeedbackRequest.objects.create(
                audit=audit,
                respondent="family",
                channel="visit",
                response=response,
                created_by=qa_lead,
                answered_at=signed,
            )


def _logo() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "#1f4e79").save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="ashdown.png")


def build() -> Built:
    p = make_personas()
    c = Authority.objects.create(code="993", name="Calderbridge")
    team_c = TeamFactory(authority=c, name="Calderbridge Children in Care")
    MembershipFactory(user=UserFactory(username="cora"), authority=c, role=Role.PRACTITIONER, team=team_c)
    MembershipFactory(user=UserFactory(username="queenie"), authority=c, role=Role.QA_LEAD)
    quarter_start = quarters.last_complete_quarter(timezone.localdate())
    _cases(p.authority_a, p.team_a, quarter_start, referrals=12, rereferred=3, late=2)
    _cases(p.authority_b, p.team_b, quarter_start, referrals=20, rereferred=6, late=4)
    _cases(c, team_c, quarter_start, referrals=15, rereferred=5, late=1)
    for authority, level in ((p.authority_a, 3), (p.authority_b, 2), (c, 2)):
        _audits(authority, quarter_start, per_quarter=6, level=level)
    MeasureTarget.objects.create(
        authority=p.authority_a, measure="assessments_45wd", target=Decimal("0.85"), tolerance=Decimal("0.1")
    )
    branding = ReportBranding(authority=p.authority_a, primary_colour="#0b3d5c", introduction=INTRODUCTION)
    branding.logo.save("ashdown.png", _logo(), save=False)
    branding.save()
    measures_compute()
    for code, name, copied in FIGURES_ONLY:
        copy_figures(Authority.objects.get(code=copied), Authority.objects.create(code=code, name=name))
    return Built(personas=p, calderbridge=c, quarter_start=quarter_start)


def copy_figures(source: Authority, target: Authority) -> None:
    """Every authority-level stored value of ``source``, stored again for ``target``: an authority
    that counts towards benchmarks without cases or audits of its own. One query to read, one to write."""
    MeasureValue.objects.bulk_create(
        MeasureValue(
            authority=target,
            measure=row.measure,
            period_type=row.period_type,
            period_start=row.period_start,
            period_end=row.period_end,
            numerator=row.numerator,
            denominator=row.denominator,
            value=row.value,
            computed_at=row.computed_at,
        )
        for row in MeasureValue.objects.filter(authority=source, team__isnull=True)
    )


def store_values(authority: Authority, quarter_start: date, **values: int) -> None:
    """A few stored authority-level counts for one quarter (for tests that need "data" only)."""
    now = timezone.now()
    MeasureValue.objects.bulk_create(
        MeasureValue(
            authority=authority,
            measure=key,
            period_type="quarter",
            period_start=quarter_start,
            period_end=quarters.quarter_end(quarter_start),
            numerator=count,
            value=count,
            computed_at=now,
        )
        for key, count in values.items()
    )


def store_rates(authority: Authority, quarter_start: date, **values: tuple[int, int]) -> None:
    """Stored authority-level rates or means for one quarter: ``key=(numerator, denominator)``."""
    now = timezone.now()
    MeasureValue.objects.bulk_create(
        MeasureValue(
            authority=authority,
            measure=key,
            period_type="quarter",
            period_start=quarter_start,
            period_end=quarters.quarter_end(quarter_start),
            numerator=numerator,
            denominator=denominator,
            value=rate_value(numerator, denominator),
            computed_at=now,
        )
        for key, (numerator, denominator) in values.items()
    )
