"""Last quarter's outcome report, generated from the demo's own data as ``make demo`` builds it
(the same commands in the same order, with fewer children): its pages, its text, its charts, and
no other authority's name in it.

Built once for the module in a transaction rolled back at the end; ``pdftotext`` and ``pdfinfo``
come with poppler-utils.
"""

import re
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.demo import AUTHORITIES
from accounts.models import Authority
from reports import quarters

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
        reason="pdftotext and pdfinfo (Debian package poppler-utils) are needed to read the PDF",
    ),
]

LEADS = {"991": "quinn", "992": "quentin", "993": "queenie", "994": "quade", "995": "quincy"}
TEAMS = "Front Door,Assessment Team,Child Protection North,Child Protection South,Children in Care"


def _demo(folder: Path) -> None:
    """The Makefile's demo-data steps, quietly."""
    out = StringIO()
    call_command("seed_demo", quiet=True, stdout=out)
    # As on the command line: the command's argument types turn these strings into paths and numbers.
    call_command(
        "generate_returns",
        f"--authorities={len(AUTHORITIES)}",
        "--codes=" + ",".join(code for code, _name, _region in AUTHORITIES),
        "--names=" + ",".join(name for _code, name, _region in AUTHORITIES),
        "--children-per-authority=80",
        "--seed=2026",
        f"--out={folder}",
        f"--teams={TEAMS}",
        stdout=out,
    )
    for code, lead in LEADS.items():
        files = sorted(
            str(path) for path in (folder / code).iterdir() if path.suffix in (".xml", ".csv", ".xlsx")
        )
        call_command("import_returns", *files, authority=code, user=lead, stdout=out)
        practice = folder / code / "practice.csv"
        call_command(
            "generate_practice", f"--authority={code}", "--seed=2026", f"--out={practice}", stdout=out
        )
        call_command("import_practice", str(practice), authority=code, user=lead, stdout=out)
    call_command("seed_demo_audits", stdout=out)
    call_command("seed_demo_outcomes", stdout=out)
    call_command("compute_measures", stdout=out)


@pytest.fixture(scope="module")
def report(django_db_setup, django_db_blocker, tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    output = folder / "report.pdf"
    start = quarters.last_complete_quarter(timezone.localdate())
    with django_db_blocker.unblock(), transaction.atomic():
        assert not Authority.objects.exists(), "expected the empty test database"
        _demo(folder / "returns")
        call_command(
            "outcome_report",
            authority="991",
            quarter=quarters.quarter_code(start),
            output=str(output),
            stdout=StringIO(),
        )
        transaction.set_rollback(True)
    text = subprocess.run(["pdftotext", str(output), "-"], check=True, capture_output=True, text=True).stdout
    info = subprocess.run(["pdfinfo", str(output)], check=True, capture_output=True, text=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, flags=re.MULTILINE)
    assert match
    return {
        "start": start,
        "pages": [" ".join(page.split()) for page in text.split("\f")[:-1]],
        "count": int(match[1]),
        "pdf": output.read_bytes(),
    }


def test_the_demo_report_has_every_section_with_header_and_footer(report):
    pages, count = report["pages"], report["count"]
    assert len(pages) == count >= 10
    label = quarters.quarter_label(report["start"])
    assert "Ashdown" in pages[0] and label in pages[0]
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in page
    body = " ".join(pages)
    for title in (
        "Summary of headline measures",
        "Outcomes for children and families",
        "Practice fidelity by element",
        "Themes from audits",
        "Learning actions",
        "Family and child voice",
        "Benchmark position",
        "Definitions",
    ):
        assert title in body, title
    # The demo's foreword, and the measures with their case figures for the quarter.
    assert "Corporate Parenting Panel" in pages[0]
    assert "Re-referrals within 12 months" in body and "Assessments authorised within 45" in body


def test_the_demo_report_has_its_charts_and_names_no_other_authority(report):
    body = " ".join(report["pages"])
    # The charts' own text (matplotlib keeps SVG text as text, so it is in the PDF's text layer).
    assert body.count("This authority") >= 5
    assert "Middle half of authorities" in body  # five demo authorities: benchmarks are shown
    assert "1 Not evident" in body and "4 Embedded" in body  # the element chart's axis
    for _code, name, _region in AUTHORITIES[1:]:
        assert name not in body
