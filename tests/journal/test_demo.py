"""``seed_demo_workshops``: the demo's workshops, reflections and published journal, idempotent."""

from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.demo import seed_people
from accounts.models import User
from journal.models import Journal, JournalStatus, PollAnswer, QuarterlyReflection, Workshop, WorkshopStatus

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Workshop.objects.count(),
        PollAnswer.objects.count(),
        QuarterlyReflection.objects.count(),
        Journal.objects.count(),
        PollAnswer.history.count(),
        Journal.history.count(),
    )


def test_the_demo_has_a_closed_workshop_a_published_journal_and_an_open_poll(client, capsys):
    seed_people()
    call_command("seed_demo_workshops")
    first = _counts()
    out = capsys.readouterr().out
    call_command("seed_demo_workshops")
    assert _counts() == first  # nothing duplicated

    closed, live = Workshop.objects.order_by("held_on")
    assert closed.status == WorkshopStatus.CLOSED and live.status == WorkshopStatus.OPEN
    assert f"code {live.code}" in out
    authorities = set(
        PollAnswer.objects.filter(question__workshop=closed).values_list("authority__code", flat=True)
    )
    assert authorities == {"991", "992", "993", "994", "995"}
    hidden = PollAnswer.objects.get(hidden=True)
    assert hidden.hidden_by.username == "pam" and hidden.hidden_reason
    assert QuarterlyReflection.objects.filter(quarter=closed.quarter).count() == 5
    journal = Journal.objects.get()
    assert journal.status == JournalStatus.PUBLISHED and journal.published_by.username == "pam"
    assert journal.workshop == closed and journal.quarter == closed.quarter
    assert PollAnswer.objects.filter(question__workshop=live).count() >= 2

    client.force_login(
        User.objects.get(username="charlie"), backend="django.contrib.auth.backends.ModelBackend"
    )
    page = client.get(reverse("journal:detail", args=[journal.pk])).content.decode()
    assert "What authorities achieved" in page and "Brackenford" in page and hidden.text not in page
    assert live.code in client.get(reverse("journal:workshops")).content.decode()
    assert client.get(reverse("journal:answer", args=[live.code])).status_code == 200


def test_the_workshops_follow_the_calendar(db):
    from journal.demo import seed_workshops

    seed_people()
    seeded = seed_workshops(today=date(2027, 2, 10))
    assert seeded.open.quarter == date(2027, 1, 1) and seeded.closed.quarter == date(2026, 10, 1)
    assert seeded.closed.held_on <= date(2027, 2, 10)
