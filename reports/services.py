"""Writes of the reports app: requesting and generating quarterly outcome reports.

A report is the HTML of ``templates/reports/report.html`` (filled from ``reports.selectors``, with
the charts of ``outcomes.charts``) turned into a PDF by WeasyPrint in ``pdf_from_html``, the one
function that touches WeasyPrint. ``report_generate`` stores the PDF with its SHA-256 checksum,
size and page count and saves its progress step by step, so that the report's page can show it;
when anything fails the report is marked failed with the error and no file is kept.
"""

import gc
import hashlib
import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Authority
from outcomes.audit_measures import ELEMENT_NAMES
from outcomes.charts import Bar, element_chart, trend_chart
from qa_system import background, leases
from reports import quarters, selectors
from reports.models import OutcomeReport, ReportStatus

logger = logging.getLogger(__name__)

# Read the figures, draw the charts, lay out the HTML, make the PDF, store it.
FIXED_STEPS = 4


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int


@contextmanager
def _quiet_weasyprint():
    """WeasyPrint warns about every SVG property it ignores; the charts use many. Errors still show."""
    loggers = [logging.getLogger(name) for name in ("weasyprint", "weasyprint.progress", "fontTools")]
    levels = [item.level for item in loggers]
    for item in loggers:
        item.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for item, level in zip(loggers, levels, strict=True):
            item.setLevel(level)


@contextmanager
def _older_objects_frozen():
    """Keep the garbage collector off the objects that existed before (Django, matplotlib, fonts:
    some 300,000), which it would otherwise walk again at every full collection while WeasyPrint
    builds and draws a long document: 0.5-1.3 s of a 2 s render, 0.3 s when frozen. They are
    unfrozen afterwards, and collected as before; the objects of the render are collected as usual."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def pdf_from_html(html: str) -> RenderedPdf:
    """The PDF of ``html`` (WeasyPrint), and its number of pages."""
    with _quiet_weasyprint(), _older_objects_frozen():
        # Imported here, quietly: it loads Pango (only rendering needs it) and parses its own CSS.
        from weasyprint import HTML

        document = HTML(string=html, base_url=None).render()
        return RenderedPdf(content=document.write_pdf(), pages=len(document.pages))


def draw_charts(content: selectors.ReportContent, *, on_chart: Callable[[], None] | None = None) -> None:
    """Draw each trend and the element chart into ``content`` (matplotlib: slowish, fine in a job)."""
    colour = content.branding.accent
    for line in content.charted_lines:
        line.chart = trend_chart(
            line.trend,
            unit=line.unit,
            title=f"{line.name}: the last {len(line.trend)} quarters",
            target=float(line.target) if line.target is not None else None,
            colour=colour,
            width=4.2,
            height=1.5,
        )
        if on_chart:
            on_chart()
    bars = [
        Bar(
            label=f"{row.key} {ELEMENT_NAMES.get(row.key, row.name)}",
            value=float(row.line.value) if row.line.value is not None else None,
            benchmark=float(row.line.benchmark.median) if row.line.benchmark else None,
        )
        for row in content.elements
    ]
    if bars:
        content.element_chart = element_chart(
            bars,
            title=f"Practice fidelity by element, {content.quarter_label}",
            colour=content.branding.primary,
            width=7.5,
        )
    if on_chart:
        on_chart()


def chart_count(content: selectors.ReportContent) -> int:
    return len(content.charted_lines) + 1


def report_html(content: selectors.ReportContent, *, back_url: str = "", csp_nonce: str = "") -> str:
    """The report's HTML: for WeasyPrint, or as a web page with a link back (``back_url``) whose
    style sheet carries the request's Content-Security-Policy nonce (``csp_nonce``)."""
    return render_to_string(
        "reports/report.html",
        {"report": content, "for_screen": bool(back_url), "back_url": back_url, "csp_nonce": csp_nonce},
    )


def report_content(*, authority: Authority, quarter_start: date) -> selectors.ReportContent:
    """The report's content with its charts drawn (for the HTML page and the PDF)."""
    content = selectors.report_content(authority=authority, quarter_start=quarter_start)
    draw_charts(content)
    return content


def render_pdf(*, authority: Authority, quarter_start: date) -> RenderedPdf:
    """The report as a PDF, not stored (the ``outcome_report`` command)."""
    return pdf_from_html(report_html(report_content(authority=authority, quarter_start=quarter_start)))


def file_name(report: OutcomeReport) -> str:
    return f"outcome-report-{report.authority.code}-{quarters.quarter_code(report.quarter_start)}.pdf"


def report_request(*, authority: Authority, quarter_start: date, requested_by) -> OutcomeReport:
    """A pending report; its generation starts in the background once the transaction commits."""
    from reports.tasks import generate_report

    if not quarters.is_quarter_start(quarter_start):
        raise ValueError(f"{quarter_start.isoformat()} is not the first day of a financial quarter")
    report = OutcomeReport.objects.create(
        authority=authority, quarter_start=quarter_start, requested_by=requested_by
    )
    transaction.on_commit(lambda: background.start(generate_report, report.pk))
    return report


def _progress(report: OutcomeReport, **fields) -> None:
    """Save progress at once (outside any transaction), for the page that polls it."""
    for name, value in fields.items():
        setattr(report, name, value)
    OutcomeReport.objects.filter(pk=report.pk).update(**fields)


def report_claim(report_id: int) -> OutcomeReport | None:
    """Move a waiting report to "generating"; None when it is not waiting (another worker has it,
    or it is finished), so that a task delivered twice generates it once."""
    claimed = OutcomeReport.objects.filter(pk=report_id, status=ReportStatus.PENDING).update(
        status=ReportStatus.RUNNING, steps_done=0, owner=leases.owner(), heartbeat_at=timezone.now()
    )
    if claimed != 1:
        return None
    return OutcomeReport.objects.select_related("authority").get(pk=report_id)


def report_generate(report: OutcomeReport) -> OutcomeReport:
    """Generate and store the PDF of ``report``: done with its file, checksum, size and pages, or
    failed with the error and no file. The report's lease is renewed while it is generated."""
    mine = OutcomeReport.objects.filter(pk=report.pk, status=ReportStatus.RUNNING)
    with leases.renewing(lambda now: mine.update(heartbeat_at=now)):
        return _generate(report)


INTERRUPTED = (
    "Interrupted: the process generating it ended before it finished (a worker or server was stopped)."
)


def reports_interrupted() -> int:
    """Record the reports being generated by a process that has ended as failed (interrupted), so
    that they can be generated again; returns how many."""
    under_way = OutcomeReport.objects.filter(status=ReportStatus.RUNNING)
    gone = leases.abandoned(
        under_way.values("pk", "owner", "heartbeat_at", started_at=F("created_at")), now=timezone.now()
    )
    return under_way.filter(pk__in=gone).update(
        status=ReportStatus.FAILED, error=INTERRUPTED, finished_at=timezone.now()
    )


def _generate(report: OutcomeReport) -> OutcomeReport:
    stored_name = ""
    try:
        _progress(report, status=ReportStatus.RUNNING, steps_done=0, steps_total=FIXED_STEPS, error="")
        content = selectors.report_content(authority=report.authority, quarter_start=report.quarter_start)
        _progress(report, steps_total=FIXED_STEPS + chart_count(content), steps_done=1)

        def chart_drawn() -> None:
            _progress(report, steps_done=report.steps_done + 1)

        draw_charts(content, on_chart=chart_drawn)
        html = report_html(content)
        _progress(report, steps_done=report.steps_done + 1)
        pdf = pdf_from_html(html)
        _progress(report, steps_done=report.steps_done + 1)
        stored_name = report.file.storage.save(
            report.file.field.generate_filename(report, file_name(report)), ContentFile(pdf.content)
        )
        _progress(
            report,
            file=stored_name,
            checksum=hashlib.sha256(pdf.content).hexdigest(),
            size=len(pdf.content),
            pages=pdf.pages,
            status=ReportStatus.DONE,
            steps_done=report.steps_total,
            finished_at=timezone.now(),
        )
    except Exception as error:
        logger.exception("Outcome report %s failed", report.pk)
        if stored_name:
            report.file.storage.delete(stored_name)
        _progress(
            report,
            file="",
            checksum="",
            size=None,
            pages=None,
            status=ReportStatus.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )
    return report


def reports_for_last_quarter(*, today: date | None = None) -> list[OutcomeReport]:
    """The scheduled job: a report for every authority with stored values for the quarter that
    ended last, unless it already has one done (or on its way) for that quarter. Safe to rerun."""
    quarter_start = quarters.last_complete_quarter(today or timezone.localdate())
    reports_interrupted()
    already = OutcomeReport.objects.filter(
        quarter_start=quarter_start,
        status__in=[ReportStatus.DONE, ReportStatus.PENDING, ReportStatus.RUNNING],
    ).values("authority_id")
    made = []
    for authority in selectors.authorities_with_data(quarter_start=quarter_start).exclude(pk__in=already):
        report = OutcomeReport.objects.create(authority=authority, quarter_start=quarter_start)
        claimed = report_claim(report.pk)
        if claimed is not None:
            made.append(report_generate(claimed))
    return made
