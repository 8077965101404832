"""The PDF, generated from demo-like data for five authorities (three with records, two with stored
figures only, as a benchmark needs five): its pages, its text and its charts.

The data is built and both PDFs rendered once for the module (WeasyPrint takes a few seconds), in a
transaction rolled back at the end; the tests read the extracted text. ``pdftotext`` and ``pdfinfo``
come with poppler-utils.
"""

import gc
import hashlib
import re
import shutil
import subprocess
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction

from accounts.models import Authority
from outcomes.presentation import SUPPRESSED
from outcomes.registry import MEASURES
from reports import quarters, services
from reports.models import OutcomeReport, ReportStatus
from tests.reports.builders import build

pytestmark = [
    # The mark makes pytest-django create the test database that the module's fixture writes to.
    pytest.mark.django_db,
    pytest.mark.skipif(
        shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
        reason="pdftotext and pdfinfo (Debian package poppler-utils) are needed to read the PDF",
    ),
]

SECTIONS = [
    "Summary of headline measures",
    "Outcomes for children and families",
    "Timeliness",
    "Practice fidelity by element",
    "Themes from audits",
    "Learning actions",
    "Family and child voice",
    "Benchmark position",
    "Definitions",
]


def _pdftotext(path: Path, *options: str) -> list[str]:
    """The text of each page (pdftotext separates pages with form feeds)."""
    raw = subprocess.run(["pdftotext", *options, str(path), "-"], check=True, capture_output=True, text=True)
    return raw.stdout.split("\f")[:-1]


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, flags=re.MULTILINE)
    assert match
    return int(match[1])


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker, tmp_path_factory):
    """Build the data, run the command, and store the same PDF through the report service (its
    WeasyPrint step replaced by the command's PDF, so that WeasyPrint runs once)."""
    folder = tmp_path_factory.mktemp("pdf")
    output = folder / "report.pdf"
    result = {}
    with django_db_blocker.unblock(), transaction.atomic():
        assert not Authority.objects.exists(), "expected the empty test database"
        built = build()
        code = quarters.quarter_code(built.quarter_start)
        call_command(
            "outcome_report", authority="991", quarter=code, output=str(output), stdout=(log := _Log())
        )
        content, page_count = output.read_bytes(), _pages(output)
        result.update(
            quarter_start=built.quarter_start,
            log=log.text,
            pdf=output,
            page_count=page_count,
            # Reading order, whitespace collapsed: the phrases of each cell stay together.
            pages=[" ".join(page.split()) for page in _pdftotext(output)],
            # Layout: one table row per line.
            lines=[page.splitlines() for page in _pdftotext(output, "-layout")],
        )
        report = OutcomeReport.objects.create(
            authority=built.personas.authority_a, quarter_start=built.quarter_start
        )
        with mock.patch.object(
            services, "pdf_from_html", return_value=services.RenderedPdf(content, page_count)
        ):
            services.report_generate(report)
        report.refresh_from_db()
        with report.file.open("rb") as handle:
            result.update(report=report, stored=handle.read(), command_pdf=content)
        report.file.storage.delete(report.file.name)
        transaction.set_rollback(True)
    return result


def _row(rendered, starts: str) -> str:
    """The layout lines of the table row whose first cell starts with ``starts``, up to the blank
    line that ends it (a long measure name wraps onto the next lines)."""
    for page in rendered["lines"]:
        for number, line in enumerate(page):
            if line.strip().startswith(starts):
                block = []
                for following in page[number:]:
                    if not following.strip():
                        break
                    block.append(following)
                return " ".join(" ".join(block).split())
    raise AssertionError(f"no row starts with {starts!r}")


class _Log:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_the_command_reports_the_file_pages_and_checksum(rendered):
    content = rendered["pdf"].read_bytes()
    assert str(rendered["pdf"]) in rendered["log"]
    assert f"{rendered['page_count']} pages" in rendered["log"]
    assert hashlib.sha256(content).hexdigest() in rendered["log"]
    assert content.startswith(b"%PDF-")


def test_every_page_has_the_footer_and_later_pages_the_header(rendered):
    pages, count = rendered["pages"], rendered["page_count"]
    assert len(pages) == count >= 8
    label = quarters.quarter_label(rendered["quarter_start"])
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in page
        if number > 1:
            assert "Ashdown" in page and f"Outcome report {label}" in page


def test_the_cover_names_the_authority_quarter_dates_and_foreword(rendered):
    cover = rendered["pages"][0]
    start = rendered["quarter_start"]
    assert "Ashdown" in cover and "Outcome report" in cover
    assert quarters.quarter_label(start) in cover
    assert quarters.quarter_dates(start) in cover
    assert "A foreword for the councillors of Ashdown." in cover
    assert "A second paragraph about the quarter." in cover
    assert "Page 1 of" in cover


def test_each_section_starts_a_page_in_the_order_of_the_contents(rendered):
    cover, body = rendered["pages"][0], rendered["pages"][1:]
    header = f"Ashdown Outcome report {quarters.quarter_label(rendered['quarter_start'])}"
    firsts = []
    for title in SECTIONS:
        assert title in cover
        firsts.append(next(i for i, page in enumerate(body) if page.startswith(f"{header} {title}")))
    assert firsts == sorted(firsts)
    # The definitions close the report: every page from theirs on is a page of definitions.
    assert all("Numerator" in page and "Denominator" in page for page in body[firsts[-1] :])


def test_the_summary_shows_values_status_and_suppression(rendered):
    # 12 referrals in the quarter (12 the quarter before, 24 a year before).
    assert _row(rendered, "Referrals").startswith("Referrals 12 12 24")
    # 3 re-referrals is a numerator from 1 to 4: the rate is hidden, and so is its status.
    assert "fewer than 5" in _row(rendered, "Re-referrals within 12 months")
    # 8 of 10 assessments on time, against a target of 85% with a tolerance of 10 points: amber.
    assert re.search(r"80\.0% .*85\.0% Close to target", _row(rendered, "Assessments authorised within"))


def test_measures_and_their_definitions_are_printed(rendered):
    text = " ".join(rendered["pages"])
    for key in ("referrals", "rereferrals_12m", "assessments_45wd", "kinship_share", "actions_on_time"):
        measure = MEASURES[key]
        assert measure.name in text
        assert " ".join(measure.numerator.split()) in text
        if measure.denominator:
            assert " ".join(measure.denominator.split()) in text
    assert "Practice fidelity by element (P1 to P14)" in text
    assert "Source: Children in need census" in text


def test_small_numbers_read_fewer_than_5(rendered):
    text = " ".join(rendered["pages"])
    assert SUPPRESSED in text
    outcomes = next(
        page for page in rendered["pages"] if "Outcomes for children and families Whether" in page
    )
    assert re.search("Re-referrals within 12 months (Lower is better )?" + SUPPRESSED, outcomes)
    assert "Notes written" in text and "Notes written 6 6 6" in text  # six audits: shown as they are


def test_charts_are_present(rendered):
    text = " ".join(rendered["pages"])
    start = rendered["quarter_start"]
    # Trend charts: the legend and the quarters on the x axis (chart text stays text in the PDF).
    assert text.count("Middle half of authorities") >= 5
    first_year = quarters.quarter_label(quarters.shift(start, -7)).split(" ")[0]
    assert re.search(r"Q1 Q2 Q3 Q4", text) and first_year in text
    # The element chart: the rubric's levels on its axis and every element's label.
    assert "1 Not evident" in text and "4 Embedded" in text
    assert "P6 Scaling" in text and "P14 Impact" in text
    assert "Median of authorities" in text


def test_themes_learning_voice_and_benchmark_have_content(rendered):
    text = " ".join(rendered["pages"])
    assert "P9 Safety network" in text  # "network" is in the demo notes of every column
    assert "excerpts from auditors' notes" in text
    assert "All teams" in text and "Overdue at quarter end" in text
    assert "6 6 6 0 audits signed off families gave consent to be asked family feedback answered" in text
    assert re.search(r"FAMILY Has your worker explained clearly .*? 6 0 0", text)
    assert "families answered 7.0 on average" in text
    # A note that names someone is counted, never quoted.
    assert "Mum and dad wrote the safety rules with the network and keep to them." in text
    assert "Sam" not in text and "aunt has not been asked" not in text
    benchmark = next(
        page
        for page in rendered["pages"]
        if "Benchmark position" in page and "Median" in page and "Rank" in page
    )
    assert "Assessments authorised within 45 working days" in benchmark
    # On time: Ashdown 80%, Brackenford and Dunmere 60%, Calderbridge and Eastholm 90%.
    assert re.search(r"80\.0% 80\.0% 60\.0% to 90\.0% 3rd of 5 second quarter", benchmark)
    assert "a benchmark needs at least five authorities with a value" in benchmark
    # Ashdown's 3 re-referrals are too few to show, and to count: four authorities, no benchmark.
    assert "Re-referrals within 12 months" not in benchmark


def test_no_other_authority_is_named(rendered):
    text = " ".join(rendered["pages"])
    for name in ("Brackenford", "Calderbridge", "Dunmere", "Eastholm"):
        assert name not in text


def test_the_service_stores_the_pdf_with_its_checksum_size_and_pages(rendered):
    report, stored = rendered["report"], rendered["stored"]
    assert report.status == ReportStatus.DONE, report.error
    assert stored == rendered["command_pdf"]
    assert report.checksum == hashlib.sha256(stored).hexdigest()
    assert report.size == len(stored)
    assert report.pages == rendered["page_count"]
    assert report.file.name.startswith("reports/outcome-report-991-")
    assert report.steps_done == report.steps_total > 4
    assert report.finished_at is not None and report.error == ""


def test_pdf_from_html_leaves_the_garbage_collector_as_it_found_it():
    """The render freezes the objects that were there before (much faster), and unfreezes them."""
    pdf = services.pdf_from_html("<!doctype html><title>x</title><p>One page</p>")
    assert pdf.pages == 1 and pdf.content.startswith(b"%PDF")
    assert gc.get_freeze_count() == 0
    with mock.patch("weasyprint.HTML.render", side_effect=RuntimeError("broken")):
        with pytest.raises(RuntimeError):
            services.pdf_from_html("<p>x</p>")
    assert gc.get_freeze_count() == 0
