"""Leases on runs under way (qa_system/leases.py), the background starter when the broker is down,
and the cache that serves pages without Redis."""

import os
import socket
import subprocess
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from qa_system import background, leases
from qa_system.cache import TolerantRedisCache

NOW = timezone.now()


def ended_process_owner() -> str:
    process = subprocess.Popen(["true"])
    process.wait()
    return f"{socket.gethostname()}:{process.pid}:{leases._start_time(os.getpid())}"


def test_this_process_holds_its_own_lease_however_old_the_heartbeat():
    old = NOW - timedelta(days=1)
    assert not leases.is_abandoned(owner=leases.owner(), heartbeat_at=old, started_at=old, now=NOW)


def test_a_process_of_this_host_that_ended_has_abandoned_its_run_at_once():
    assert leases.is_abandoned(owner=ended_process_owner(), heartbeat_at=NOW, started_at=NOW, now=NOW)


def test_a_reused_pid_is_told_apart_by_its_start_time():
    reused = f"{socket.gethostname()}:{os.getpid()}:1"
    assert leases.is_abandoned(owner=reused, heartbeat_at=NOW, started_at=NOW, now=NOW)


@override_settings(QA_LEASE_SECONDS=60)
def test_a_holder_on_another_host_keeps_the_run_while_its_lease_lasts():
    elsewhere = "worker-7:12:345"
    fresh, stale = NOW - timedelta(seconds=59), NOW - timedelta(seconds=61)
    assert not leases.is_abandoned(owner=elsewhere, heartbeat_at=fresh, started_at=stale, now=NOW)
    assert leases.is_abandoned(owner=elsewhere, heartbeat_at=stale, started_at=stale, now=NOW)


@override_settings(QA_LEASE_SECONDS=8)
def test_the_heartbeat_renews_from_its_own_thread_until_the_block_ends():
    beats = []
    with mock.patch.object(leases.settings, "QA_LEASE_SECONDS", 0.2):
        with leases.renewing(beats.append):
            time.sleep(0.35)
        count = len(beats)
        time.sleep(0.2)
    assert count >= 3 and len(beats) == count


def test_a_broker_that_is_down_makes_start_return_false_not_raise(settings, caplog):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    task = mock.Mock()
    task.name = "some.task"
    task.apply_async.side_effect = OperationalError(
        "Error 111 connecting to 127.0.0.1:6379. Connection refused."
    )
    assert background.start(task, 1) is False
    assert "broker is unreachable" in caplog.text


def test_the_cache_serves_without_redis():
    cache = TolerantRedisCache("redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
    started = time.monotonic()
    assert cache.get("anything", "default") == "default"
    cache.set("key", "value")
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("key", 1) is False
    cache.delete("key")
    assert time.monotonic() - started < 5


@pytest.mark.django_db
def test_an_import_whose_process_ended_and_one_that_never_reached_a_worker_are_queued_again(personas):
    from cases.models import ImportRun, ImportStatus
    from cases.services import import_runs_resume

    a = personas.authority_a
    ended = ImportRun.objects.create(
        authority=a,
        filename="a.xml",
        status=ImportStatus.RUNNING,
        owner=ended_process_owner(),
        heartbeat_at=NOW,
    )
    live = ImportRun.objects.create(
        authority=a, filename="b.xml", status=ImportStatus.RUNNING, owner=leases.owner()
    )
    waited = ImportRun.objects.create(authority=a, filename="c.xml")
    ImportRun.objects.filter(pk=waited.pk).update(created_at=NOW - timedelta(minutes=5))
    fresh = ImportRun.objects.create(authority=a, filename="d.xml")
    assert import_runs_resume() == [ended.pk, waited.pk]
    ended.refresh_from_db()
    assert (ended.status, ended.owner) == (ImportStatus.PENDING, "")
    assert ImportRun.objects.get(pk=live.pk).status == ImportStatus.RUNNING
    assert import_runs_resume(waiting_for=timedelta(0)) == [ended.pk, waited.pk, fresh.pk]


@pytest.mark.django_db
def test_a_report_whose_process_ended_is_recorded_as_interrupted(personas):
    from datetime import date

    from reports.models import OutcomeReport, ReportStatus
    from reports.services import reports_interrupted

    a = personas.authority_a
    gone = OutcomeReport.objects.create(
        authority=a, quarter_start=date(2024, 4, 1), status=ReportStatus.RUNNING, owner=ended_process_owner()
    )
    going = OutcomeReport.objects.create(
        authority=a, quarter_start=date(2024, 4, 1), status=ReportStatus.RUNNING, owner=leases.owner()
    )
    assert reports_interrupted() == 1
    gone.refresh_from_db()
    assert gone.status == ReportStatus.FAILED and gone.error.startswith("Interrupted")
    assert OutcomeReport.objects.get(pk=going.pk).status == ReportStatus.RUNNING
