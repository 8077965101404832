"""The journal's PDF: its sections, the verbatim answers, the running header and page numbers,
read back with pdftotext (poppler-utils). Rendered once, through the page people download."""

import shutil
import subprocess

import pytest
from django.urls import reverse

from journal import services
from tests.factories import AuthorityFactory
from tests.journal import builders
from tests.journal.builders import QUARTER

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) reads the PDF"),
]

SECTIONS = [
    "From the programme team",
    "What authorities achieved",
    "What authorities found hard",
    "Reflections from each authority",
    "The programme in numbers",
    "What the next workshop should cover",
]
AWKWARD = "We said <script>alert('x')</script> & \"meant\" it ✨ 👩‍👧\nSecond line: O'Brien's team"


def _pages(content: bytes, tmp_path) -> list[str]:
    path = tmp_path / "journal.pdf"
    path.write_bytes(content)
    raw = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True)
    return raw.stdout.split("\f")[:-1]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_pdf_has_the_sections_and_the_answers_verbatim(personas, login, tmp_path):
    made = builders.workshop(personas)
    builders.answer(
        made,
        personas.leah,
        personas.authority_a,
        achievement=AWKWARD,
        challenge="Agency turnover",
        next_workshop="Danger statements, please",
    )
    [_, hidden, _] = builders.answer(
        made,
        personas.charlie,
        personas.authority_b,
        achievement="Shorter waits",
        challenge="The Smith family",
        next_workshop="Networks",
    )
    services.answer_hide(answer=hidden, reason="Names a family.", acting_user=personas.pam)
    services.reflection_save(
        authority=personas.authority_b,
        quarter=QUARTER,
        achievement="Plain language plans",
        challenge="Court time",
        acting_user=personas.quentin,
    )
    authorities = [
        personas.authority_a,
        personas.authority_b,
        *[AuthorityFactory(code=f"99{n}", name=f"Shire {n}") for n in range(3, 6)],
    ]
    builders.measure_values(
        authorities, "assessments_45wd", ["0.6100", "0.7000", "0.8000", "0.8500", "0.9900"]
    )
    journal = builders.journal(personas, made, introduction="Welcome to the journal.")

    response = login(personas.charlie).get(reverse("journal:pdf", args=[journal.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="quarterly-journal-2026-27-Q2.pdf"' in response["Content-Disposition"]
    pages = _pages(response.content, tmp_path)
    text = _flat("\n".join(pages))

    cover = _flat(pages[0])
    assert "Quarterly journal 2026-27 Q2" in cover and "1 July to 30 September 2026" in cover
    assert "Published on" in cover
    positions = [
        text.index(title, text.index("Welcome")) if title != SECTIONS[0] else text.index("Welcome")
        for title in SECTIONS
    ]
    assert positions == sorted(positions)
    # Verbatim: markup, quotes and the ampersand come out as written, and the line break is kept.
    assert "We said <script>alert('x')</script> & \"meant\" it ✨ 👩" in text  # pdftotext drops the joiner
    assert "👧" in text
    assert "Second line: O'Brien's team" in text
    assert "Agency turnover" in text and "Danger statements, please" in text and "Networks" in text
    assert "The Smith family" not in text
    assert "Plain language plans" in text and "Court time" in text
    # The numbers: the median and the middle half, never one authority's figure.
    assert "80.0%" in text and "70.0%–85.0%" in text
    assert "61.0%" not in text and "99.0%" not in text
    # Running header and page numbers after the cover.
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert "Quarterly journal 2026-27 Q2" in _flat(pages[1]) and f"Page 2 of {len(pages)}" in pages[1]
