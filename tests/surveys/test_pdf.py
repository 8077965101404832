"""The action research PDF: its sections, page numbers, and suppression in the printed text.

The data is built and both PDFs rendered once for the module (WeasyPrint takes a few seconds), in
a transaction rolled back at the end; the tests read the text ``pdftotext`` extracts.
"""

import shutil
import subprocess

import pytest
from django.db import transaction

from surveys import services
from surveys.models import SurveyWave
from tests.conftest import make_personas
from tests.surveys.builders import baseline_wave, follow_up_wave, respond

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        shutil.which("pdftotext") is None,
        reason="pdftotext (Debian package poppler-utils) is needed to read the PDF",
    ),
]

SECTIONS = [
    "Summary",
    "Confidence with the Signs of Safety tools",
    "Working here",
    "Standout challenges: leadership and culture",
    "In your own words",
    "Compared with other authorities",
    "About this survey",
]


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def texts(django_db_setup, django_db_blocker, tmp_path_factory):
    folder = tmp_path_factory.mktemp("survey-pdf")
    result = {}
    with django_db_blocker.unblock(), transaction.atomic():
        people = make_personas()
        base = baseline_wave()
        follow = follow_up_wave(base)
        respond(base, people.authority_a, 10, team=people.team_a, agree=3, scale=5)
        respond(
            follow,
            people.authority_a,
            7,
            team=people.team_a,
            agree=4,
            scale=8,
            text="Group supervision helps",
        )
        respond(follow, people.authority_b, 4, agree=5, text="Brackenford secret")
        wave = SurveyWave.objects.select_related("tool_version__tool", "baseline").get(pk=follow.pk)
        for code, authority in (("991", people.authority_a), ("992", people.authority_b)):
            content = services.report_content(authority=authority, wave=wave)
            result[code] = _text(services.report_pdf(content), folder)
        transaction.set_rollback(True)
    return result


def test_the_pdf_has_its_sections_in_order(texts):
    text = texts["991"]
    body = text.split("About this survey", 1)[1]  # after the contents on the cover
    positions = [body.find(title) for title in SECTIONS[:-1]]
    assert -1 not in positions, dict(zip(SECTIONS, positions, strict=False))
    assert positions == sorted(positions)
    assert text.count("About this survey") >= 2
    assert "Page 1 of" in text and "Action research report" in text


def test_the_pdf_shows_the_change_and_the_open_answers(texts):
    text = texts["991"]
    assert "Senior leaders are visible and engaged in our practice with families" in text
    assert "+1.0" in text  # agreement from 3 to 4 on every item
    assert "Group supervision helps" in text
    assert "Ashdown" in text


def test_the_pdf_of_a_group_under_five_shows_nothing_but_that(texts):
    text = texts["992"]
    for title in SECTIONS:
        assert title in text
    assert "fewer than 5" in text
    assert "Brackenford secret" not in text
    assert "Ashdown" not in text
    assert "100%" not in text
