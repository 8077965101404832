"""Waves and anonymous responses for the survey tests."""

from datetime import timedelta

from django.utils import timezone

from audits.models import ToolVersion
from surveys import services
from surveys.models import SurveyWave, WaveKind

AGREEMENT = ["strongly_disagree", "disagree", "neutral", "agree", "strongly_agree"]


def staff_survey(number: int = 2) -> ToolVersion:
    return ToolVersion.objects.get(tool__key="staff-survey", tool__authority__isnull=True, number=number)


def baseline_wave(*, name="Baseline", days_ago=400, number=2) -> SurveyWave:
    today = timezone.localdate()
    return SurveyWave.objects.create(
        name=name,
        kind=WaveKind.BASELINE,
        tool_version=staff_survey(number),
        opens_on=today - timedelta(days=days_ago + 28),
        closes_on=today - timedelta(days=days_ago),
    )


def follow_up_wave(baseline: SurveyWave, *, name="Follow-up", closed=True) -> SurveyWave:
    today = timezone.localdate()
    opens, closes = (
        (today - timedelta(days=60), today - timedelta(days=30))
        if closed
        else (
            today - timedelta(days=3),
            today + timedelta(days=20),
        )
    )
    return SurveyWave.objects.create(
        name=name,
        kind=WaveKind.FOLLOW_UP,
        baseline=baseline,
        tool_version=staff_survey(),
        opens_on=opens,
        closes_on=closes,
    )


def open_wave(*, name="Open now") -> SurveyWave:
    today = timezone.localdate()
    return SurveyWave.objects.create(
        name=name,
        kind=WaveKind.BASELINE,
        tool_version=staff_survey(),
        opens_on=today - timedelta(days=3),
        closes_on=today + timedelta(days=20),
    )


def answers(*, agree: int = 3, scale: int = 6, text: str = "", version: ToolVersion | None = None) -> dict:
    """A full set of answers: every agreement item ``agree`` (1–5), every scale ``scale``."""
    values: dict[str, object] = {}
    for item in (version or staff_survey()).items.all():
        if item.type == "scale":
            values[item.key] = scale
        elif item.type == "single_choice":
            values[item.key] = AGREEMENT[agree - 1]
        else:
            values[item.key] = text
    return values


def respond(wave: SurveyWave, authority, count: int, *, team=None, text: str = "", **values) -> None:
    for _ in range(count):
        services.survey_response_create(
            wave=wave,
            authority=authority,
            team=team,
            answers=answers(text=text, version=wave.tool_version, **values),
        )
