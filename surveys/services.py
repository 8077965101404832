"""Writes of the surveys app: answering a wave.

``survey_answer_submit`` writes, in one transaction, the person's ``WaveParticipation`` (that they
answered) and an anonymous ``SurveyResponse`` with its answers (what was answered), and nothing that
joins the two. A second submission by the same person is refused and writes nothing. The demo's
made-up respondents are not users: their responses come from ``survey_response_create`` alone.
"""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Authority, Team
from audits.models import Item
from outcomes import presentation
from reports.services import pdf_from_html
from surveys import charts, scoring, selectors
from surveys.models import SurveyAnswer, SurveyResponse, SurveyWave, WaveParticipation

TEXT_LIMIT = 2000
ALREADY_ANSWERED = "You have already answered this survey wave: each person answers once."


class AlreadyAnswered(ValidationError):
    pass


def wave_items(wave: SurveyWave) -> list[Item]:
    return list(wave.tool_version.items.select_related("section").order_by("section__order", "order"))


def clean_answers(items: list[Item], answers: Mapping[str, object]) -> dict[str, object]:
    """The answers to keep: every required item answered with a valid value, optional text trimmed
    (empty text is left out). Raises ``ValidationError`` naming each problem."""
    known = {item.key: item for item in items}
    errors = [f"{key} is not a question of this survey." for key in answers if key not in known]
    cleaned: dict[str, object] = {}
    for item in items:
        value = answers.get(item.key)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if item.required:
                errors.append(f"Please answer: {item.text}")
            continue
        if item.type == scoring.TEXT:
            if not isinstance(value, str) or len(value) > TEXT_LIMIT:
                errors.append(f"{item.text}: at most {TEXT_LIMIT} characters.")
                continue
        else:
            spec = scoring.ItemSpec(
                key=item.key, type=item.type, options=tuple(o["value"] for o in item.options)
            )
            if spec.score(value) is None:
                errors.append(f"{item.text}: not one of the answers offered.")
                continue
        cleaned[item.key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def survey_response_create(
    *, wave: SurveyWave, authority: Authority, team: Team | None, answers: Mapping[str, object]
) -> None:
    """An anonymous response to ``wave`` (no participation: for made-up respondents and for
    ``survey_answer_submit``). Returns nothing, so that no caller can hold on to the response."""
    if team is not None and team.authority_id != authority.pk:
        raise ValidationError("The team must belong to the authority.")
    cleaned = clean_answers(wave_items(wave), answers)
    with transaction.atomic():
        response = SurveyResponse.objects.create(wave=wave, authority=authority, team=team)
        SurveyAnswer.objects.bulk_create(
            SurveyAnswer(response=response, item_key=key, value=value) for key, value in cleaned.items()
        )


def survey_answer_submit(
    *,
    wave: SurveyWave,
    acting_user,
    authority: Authority,
    team: Team | None,
    answers: Mapping[str, object],
    today=None,
) -> None:
    """``acting_user`` answers ``wave`` for ``authority`` (the caller has checked
    ``access.may_answer_survey``): the participation and the anonymous response in one
    transaction. Refused, writing nothing, when the wave is not open, when the answers are not
    valid, or when the person has answered the wave before (``AlreadyAnswered``)."""
    if not wave.is_open(today or timezone.localdate()):
        raise ValidationError("This survey wave is not open.")
    if WaveParticipation.objects.filter(wave=wave, user=acting_user).exists():
        raise AlreadyAnswered(ALREADY_ANSWERED)
    try:
        with transaction.atomic():
            WaveParticipation.objects.create(wave=wave, user=acting_user)
            survey_response_create(wave=wave, authority=authority, team=team, answers=answers)
    except IntegrityError:
        # Two submissions at once: the unique constraint lets one through.
        raise AlreadyAnswered(ALREADY_ANSWERED) from None


# --- the action research report ------------------------------------------------------------------


def draw_charts(content: selectors.SurveyReport) -> None:
    """One distribution chart per section: each item at baseline (when there is one) and now."""
    if not content.shown:
        return
    for section in content.sections:
        if not section.items:
            continue
        rows = []
        for item in section.items:
            pairs = ([item.baseline] if item.baseline is not None else []) + [item.now]
            rows.append(
                charts.Row(
                    label=item.text,
                    shares=tuple(tuple(d.shares) if d.shown else () for d in pairs),
                    notes=tuple(d.label for d in pairs),
                    empty_texts=tuple(
                        "not asked in this wave" if not d.asked else presentation.SUPPRESSED for d in pairs
                    ),
                )
            )
        section.chart = charts.distribution_chart(
            rows, bands=section.items[0].band_labels, title=f"{section.title}: how people answered"
        )


def report_content(*, authority: Authority, wave: SurveyWave) -> selectors.SurveyReport:
    content = selectors.report_content(authority=authority, wave=wave)
    draw_charts(content)
    return content


def report_html(content: selectors.SurveyReport, *, back_url: str = "", csp_nonce: str = "") -> str:
    """The report's HTML: for WeasyPrint, or as a web page with a link back (``back_url``) whose
    style sheet carries the request's Content-Security-Policy nonce (``csp_nonce``)."""
    return render_to_string(
        "surveys/report.html",
        {"report": content, "for_screen": bool(back_url), "back_url": back_url, "csp_nonce": csp_nonce},
    )


def report_pdf(content: selectors.SurveyReport) -> bytes:
    """The report as a PDF, made on request and not stored (WeasyPrint, through ``reports``)."""
    return pdf_from_html(report_html(content)).content


def file_name(content: selectors.SurveyReport, extension: str) -> str:
    wave = "-".join(content.wave_name.lower().split())
    safe = "".join(ch for ch in wave if ch.isalnum() or ch == "-")
    return f"action-research-{content.authority_code}-{safe}.{extension}"


EXPORT_HEADER = [
    "authority_code",
    "wave",
    "section",
    "item_key",
    "item",
    "answer",
    "baseline_share_percent",
    "now_share_percent",
    "baseline_responses",
    "now_responses",
    "baseline_mean",
    "now_mean",
]


def export_rows(content: selectors.SurveyReport) -> list[list[str]]:
    """The aggregated results as CSV rows: one per item and answer band, shares in percent; groups
    under five read "fewer than 5" with no figures. Never a row per response."""
    rows: list[list[str]] = [EXPORT_HEADER]
    for section in content.sections:
        for item in section.items:
            pairs = [item.baseline, item.now]
            for index, band in enumerate(item.band_labels):
                shares = [
                    f"{d.shares[index] * 100:.1f}" if d is not None and d.shown and content.shown else ""
                    for d in pairs
                ]
                rows.append(
                    [
                        content.authority_code,
                        content.wave_name,
                        section.title,
                        item.key,
                        item.text,
                        band,
                        *shares,
                        _export_count(item.baseline, content),
                        _export_count(item.now, content),
                        item.baseline_mean_text if content.shown else "",
                        item.mean_text if content.shown else "",
                    ]
                )
    return rows


def _export_count(distribution: selectors.Distribution | None, content: selectors.SurveyReport) -> str:
    if distribution is None:
        return ""
    if not distribution.asked:
        return "not asked"
    if not content.shown or not distribution.shown:
        return presentation.SUPPRESSED
    return str(distribution.answers)
