"""Workshops, answers and journals for the journal tests, made through the services as people would."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from accounts.models import Authority
from journal import services
from journal.models import Journal, PollAnswer, Workshop, WorkshopStatus
from outcomes.models import MeasureValue
from outcomes.periods import PeriodType
from reports import quarters

# Text nobody would type, but everybody will: markup, quotes, an ampersand, emoji, line breaks.
AWKWARD = "We said <script>alert('x')</script> & \"meant\" it 👩‍👧 ✨\nSecond line: O'Brien's team"

QUARTER = date(2026, 7, 1)  # 2026-27 Q2


def workshop(p, *, status: str = WorkshopStatus.OPEN, quarter: date = QUARTER) -> Workshop:
    made = services.workshop_create(
        title="Practice leaders' workshop", held_on=date(2026, 9, 20), quarter=quarter, acting_user=p.pam
    )
    if status != WorkshopStatus.DRAFT:
        services.workshop_set_status(workshop=made, to_status=WorkshopStatus.OPEN, acting_user=p.pam)
    if status == WorkshopStatus.CLOSED:
        services.workshop_set_status(workshop=made, to_status=WorkshopStatus.CLOSED, acting_user=p.pam)
    made.refresh_from_db()
    return made


def question_ids(made: Workshop) -> dict[str, int]:
    return {q.item_key: q.pk for q in made.questions.all()}


def answer(made: Workshop, user, authority: Authority, **texts: str) -> list[PollAnswer]:
    """``achievement=..., challenge=..., next_workshop=...``"""
    keys = question_ids(made)
    by_id = {keys[key.replace("_", "-")]: text for key, text in texts.items()}
    by_id.setdefault(keys["achievement"], "An achievement")
    by_id.setdefault(keys["challenge"], "A challenge")
    return services.answers_save(workshop=made, authority=authority, texts=by_id, acting_user=user)


def journal(p, made: Workshop | None, *, publish: bool = True, introduction: str = "") -> Journal:
    compiled = services.journal_compile(quarter=made.quarter if made else QUARTER, acting_user=p.pam)
    if introduction:
        services.journal_update(
            journal=compiled,
            title=compiled.title,
            introduction=introduction,
            workshop=made,
            acting_user=p.pam,
        )
    if publish:
        compiled = services.journal_publish(journal=compiled, acting_user=p.pam)
    return compiled


def measure_values(authorities: list[Authority], measure: str, values: list[str], *, quarter: date = QUARTER):
    """Stored authority-level values of a rate for the quarter (numerators large enough to show)."""
    for authority, value in zip(authorities, values, strict=True):
        MeasureValue.objects.create(
            authority=authority,
            measure=measure,
            period_type=PeriodType.QUARTER,
            period_start=quarter,
            period_end=quarters.quarter_end(quarter),
            numerator=int(Decimal(value) * 1000),
            denominator=1000,
            value=Decimal(value),
            computed_at=timezone.now(),
        )
