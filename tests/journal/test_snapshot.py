"""A published journal keeps what it showed on the day it was published: a reflection rewritten, a
poll answer changed or hidden, measures computed again afterwards change drafts, never the
published page or its PDF (both served from the snapshot stored on publication)."""

import shutil
import subprocess

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from journal import selectors, services
from journal.models import Journal, JournalStatus, PollAnswer
from tests.factories import AuthorityFactory
from tests.journal import builders
from tests.journal.builders import QUARTER

pytestmark = pytest.mark.django_db


@pytest.fixture
def made(personas):
    """A workshop answered by A and B, A's reflection, and the figures of five authorities."""
    workshop = builders.workshop(personas)
    builders.answer(
        workshop, personas.leah, personas.authority_a, achievement="First win", challenge="First worry"
    )
    builders.answer(
        workshop, personas.charlie, personas.authority_b, achievement="B's win", challenge="Staying quiet"
    )
    services.reflection_save(
        authority=personas.authority_a,
        quarter=QUARTER,
        achievement="Reflected win",
        challenge="Reflected worry",
        acting_user=personas.quinn,
    )
    authorities = [
        personas.authority_a,
        personas.authority_b,
        *[AuthorityFactory(code=f"99{n}", name=f"Shire {n}") for n in range(3, 6)],
    ]
    builders.measure_values(
        authorities, "rereferrals_12m", ["0.1000", "0.2000", "0.2200", "0.2500", "0.3000"]
    )
    workshop.authorities = authorities
    return workshop


def _change_everything(personas, made) -> None:
    """After publication: A rewrites its reflection and its answer, B's answer is hidden, and the
    figures are computed again."""
    services.reflection_save(
        authority=personas.authority_a,
        quarter=QUARTER,
        achievement="Rewritten win",
        challenge="Rewritten worry",
        acting_user=personas.quinn,
    )
    builders.answer(
        made, personas.leah, personas.authority_a, achievement="Second win", challenge="First worry"
    )
    quiet = PollAnswer.objects.get(text="Staying quiet")
    services.answer_hide(answer=quiet, reason="Names a family.", acting_user=personas.pam)
    from outcomes.models import MeasureValue

    MeasureValue.objects.filter(measure="rereferrals_12m").update(value="0.9000")


def _journal_part(page: str) -> str:
    """The journal itself, without the page around it (a new CSRF token and nonce each time)."""
    start = page.index('<article class="journal-page')
    return page[page.index("<h1", 0) : page.index("</article>", start)]


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "journal.pdf"
    path.write_bytes(content)
    raw = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True)
    return raw.stdout


def test_a_published_journal_does_not_change_afterwards(personas, login, made, tmp_path):
    journal = builders.journal(personas, made, introduction="Welcome.")
    client = login(personas.alice)
    url = reverse("journal:detail", args=[journal.pk])
    page = _journal_part(client.get(url).content.decode())
    assert "Reflected win" in page and "First win" in page and "Staying quiet" in page and "22.0%" in page
    html = services.journal_html(selectors.journal_content(Journal.objects.get(pk=journal.pk)))
    pdf = client.get(reverse("journal:pdf", args=[journal.pk]))

    _change_everything(personas, made)

    assert _journal_part(client.get(url).content.decode()) == page
    again = Journal.objects.get(pk=journal.pk)
    assert services.journal_html(selectors.journal_content(again)) == html
    later_pdf = client.get(reverse("journal:pdf", args=[journal.pk]))
    assert later_pdf.status_code == 200
    if shutil.which("pdftotext"):
        before, after = _pdf_text(pdf.content, tmp_path), _pdf_text(later_pdf.content, tmp_path)
        assert after == before
        assert "Reflected win" in " ".join(after.split()) and "Rewritten win" not in after


def test_a_draft_shows_the_changes(personas, login, made):
    draft = builders.journal(personas, made, introduction="Welcome.", publish=False)
    client = login(personas.pam)
    url = reverse("journal:detail", args=[draft.pk])
    assert "Staying quiet" in client.get(url).content.decode()

    _change_everything(personas, made)

    page = client.get(url).content.decode()
    assert "Rewritten win" in page and "Second win" in page and "90.0%" in page
    assert "Reflected win" not in page and "First win" not in page and "Staying quiet" not in page
    # Published now, it keeps the changed content.
    services.journal_publish(journal=draft, acting_user=personas.pam)
    published = login(personas.alice).get(url).content.decode()
    assert "Rewritten win" in published and "Staying quiet" not in published


def test_publishing_stores_the_snapshot_and_it_reads_back_as_compiled(personas, made):
    draft = builders.journal(personas, made, introduction="Welcome.\n\nMore.", publish=False)
    compiled = selectors.compile_content(Journal.objects.select_related("workshop").get(pk=draft.pk))
    journal = services.journal_publish(journal=draft, acting_user=personas.pam)
    journal.refresh_from_db()
    assert journal.snapshot == selectors.snapshot_of(compiled)
    assert selectors.content_from_snapshot(journal, journal.snapshot) == compiled
    assert journal.history.latest().snapshot == journal.snapshot


@pytest.mark.parametrize(
    "change",
    [
        lambda data: data.pop("reflections"),
        lambda data: data.update(version=2),
        lambda data: data["achieved"][0].update(answers=[1]),
        lambda data: data["numbers"][0].update(authorities="5"),
        lambda data: data.update(workshop_held_on=20260920),
    ],
    ids=["missing part", "other version", "not text", "not a count", "not a date"],
)
def test_the_loader_refuses_a_snapshot_of_another_shape(personas, made, change):
    journal = builders.journal(personas, made)
    data = dict(journal.snapshot)
    data["achieved"] = [dict(group) for group in data["achieved"]]
    data["numbers"] = [dict(line) for line in data["numbers"]]
    change(data)
    with pytest.raises(selectors.SnapshotError):
        selectors.content_from_snapshot(journal, data)


def test_a_published_journal_is_no_longer_edited(personas, login, made):
    journal = builders.journal(personas, made, introduction="Welcome.")
    with pytest.raises(services.ValidationError, match="This journal is published"):
        services.journal_update(
            journal=journal, title="Renamed", introduction="Changed", workshop=made, acting_user=personas.pam
        )
    client = login(personas.pam)
    edit = reverse("journal:edit", args=[journal.pk])
    assert client.get(edit)["Location"] == reverse("journal:detail", args=[journal.pk])
    client.post(edit, {"title": "Renamed", "introduction": "Changed", "workshop": made.pk})
    journal.refresh_from_db()
    assert journal.title != "Renamed" and journal.introduction == "Welcome."
    assert edit not in client.get(reverse("journal:detail", args=[journal.pk])).content.decode()


def test_the_database_refuses_a_published_journal_without_a_snapshot(personas, made):
    journal = builders.journal(personas, made, publish=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Journal.objects.filter(pk=journal.pk).update(status=JournalStatus.PUBLISHED)
