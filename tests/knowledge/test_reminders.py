"""Reminders 30 and 7 days before knowledge-bank access expires: each once, to the person and to
the authority's QA leads; none for records that ended or expired."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from knowledge import services
from knowledge.models import KnowledgeAccess
from tests.knowledge.builders import access_record

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


def run(on: date) -> int:
    return services.send_access_reminders(today_fn=lambda: on)


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_a_reminder_30_days_before_goes_to_the_person_and_the_qa_leads(personas):
    access_record(personas.alice, personas.authority_a, expires_in=30, today=TODAY)
    assert run(TODAY) == 1
    assert recipients() == ["alice@example.org", "quinn@example.org"]
    to_alice = next(message for message in mail.outbox if message.to == ["alice@example.org"])
    assert "ends on 1 July 2026" in to_alice.subject
    assert "in 30 days" in to_alice.body
    to_quinn = next(message for message in mail.outbox if message.to == ["quinn@example.org"])
    assert "Alice" in to_quinn.body and "/knowledge/access/" in to_quinn.body


def test_each_reminder_is_sent_once(personas):
    record = access_record(personas.alice, personas.authority_a, expires_in=30, today=TODAY)
    assert run(TODAY) == 1
    assert run(TODAY) == 0
    assert run(TODAY + timedelta(days=5)) == 0  # 25 days left: the 30-day reminder is already sent
    assert len(mail.outbox) == 2
    assert run(TODAY + timedelta(days=23)) == 1  # 7 days left
    assert run(TODAY + timedelta(days=24)) == 0
    assert len(mail.outbox) == 4
    record.refresh_from_db()
    assert (record.reminded_days, record.reminded_on) == (7, TODAY + timedelta(days=23))


def test_a_record_found_late_gets_only_the_nearest_reminder(personas):
    access_record(personas.alice, personas.authority_a, expires_in=5, today=TODAY)
    assert run(TODAY) == 1
    assert KnowledgeAccess.objects.get().reminded_days == 7
    assert run(TODAY + timedelta(days=1)) == 0


def test_nothing_is_sent_long_before_expiry(personas):
    access_record(personas.alice, personas.authority_a, expires_in=31, today=TODAY)
    assert run(TODAY) == 0
    assert mail.outbox == []


def test_no_reminder_for_expired_or_ended_records(personas):
    access_record(personas.alice, personas.authority_a, expires_in=-1, today=TODAY)
    access_record(personas.bob, personas.authority_a, expires_in=20, today=TODAY, ended=True)
    assert run(TODAY) == 0
    assert mail.outbox == []


def test_each_authoritys_qa_leads_hear_only_of_their_own_staff(personas):
    access_record(personas.alice, personas.authority_a, expires_in=7, today=TODAY)
    access_record(personas.bob, personas.authority_a, expires_in=20, today=TODAY)
    access_record(personas.charlie, personas.authority_b, expires_in=7, today=TODAY)
    assert run(TODAY) == 3
    by_lead = {message.to[0]: message for message in mail.outbox if message.to[0].startswith("qu")}
    assert set(by_lead) == {"quinn@example.org", "quentin@example.org"}
    assert "2 people in Ashdown" in by_lead["quinn@example.org"].subject
    assert "Charlie" not in by_lead["quinn@example.org"].body
    assert "Alice" not in by_lead["quentin@example.org"].body


def test_extending_starts_the_reminders_again(personas, monkeypatch):
    monkeypatch.setattr(services, "_today", lambda: TODAY)
    record = access_record(personas.alice, personas.authority_a, expires_in=7, today=TODAY)
    assert run(TODAY) == 1
    services.access_extend(record=record, expires_on=TODAY + timedelta(days=60), acting_user=personas.quinn)
    assert run(TODAY + timedelta(days=1)) == 0
    assert run(TODAY + timedelta(days=30)) == 1  # 30 days before the new date


def test_the_scheduled_job_runs_from_the_command_line(personas, capsys):
    from django.utils import timezone

    access_record(personas.alice, personas.authority_a, expires_in=7, today=timezone.localdate())
    call_command("run_scheduled_job", "knowledge.tasks.send_access_reminders")
    assert "knowledge.tasks.send_access_reminders: 1" in capsys.readouterr().out
    call_command("run_scheduled_job", "knowledge.tasks.send_access_reminders")
    assert "knowledge.tasks.send_access_reminders: 0" in capsys.readouterr().out
