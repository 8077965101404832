import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from accounts.tasks import ping
from qa_system.celery import DEFAULT_SCHEDULES


@pytest.mark.skipif(bool(os.environ.get("CELERY_BROKER_URL")), reason="eager only without a broker")
def test_tasks_run_in_process_without_a_broker():
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert ping.delay("x").get(timeout=1) == "pong:x"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_task():
    # The worker stores the result in the test database (django-celery-results), where get() reads it.
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    result = ping.delay("worker")
    assert result.get(timeout=60) == "pong:worker"


@pytest.mark.django_db
def test_default_schedules_are_created_once(capsys):
    call_command("setup_schedules")
    call_command("setup_schedules")
    assert set(PeriodicTask.objects.values_list("name", flat=True)) == set(DEFAULT_SCHEDULES)
    assert "already present" in capsys.readouterr().out


@pytest.mark.django_db
def test_run_scheduled_job_runs_a_job_in_process(capsys):
    call_command("run_scheduled_job", "accounts.tasks.clear_expired_sessions")
    assert "accounts.tasks.clear_expired_sessions: ok" in capsys.readouterr().out


def test_celery_is_configured_as_asked():
    assert settings.CELERY_TASK_SERIALIZER == "json"
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_TIME_LIMIT > settings.CELERY_TASK_SOFT_TIME_LIMIT
