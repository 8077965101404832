"""Redis stopped under a running platform: pages still serve (the cache misses), and an upload, a
sign-off and "Recompute now" each give a clear message within seconds and lose nothing; once Redis
is back, a worker picks up what waited (the scheduled jobs, sent here as beat would send them)."""

import time

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audits.models import Audit, AuditStatus
from cases.models import ImportRun, ImportStatus
from cases.tasks import resume_imports
from outcomes.models import JobRun, JobStatus, MeasureValue, PendingRecompute
from outcomes.tasks import refresh_measures
from tests.audits.test_audit_pages import make_audit
from tests.cases import cin_samples as cin
from tests.faults.conftest import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# What "no hang over a few seconds" allows a request, on a loaded two-core machine.
PROMPT = 8.0

CENSUS = cin.message(
    cin.child("R1", cin.episode("2024-05-02", cin.cp_plan("2024-06-01")))
    + cin.child("R2", cin.episode("2024-07-09")),
    lea="991",
    year=2025,
)


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def said(response) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def test_with_redis_stopped_pages_serve_and_work_waits_until_it_is_back(
    personas, client, redis_server, workers, tmp_path
):
    audit = make_audit(personas)
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.SUBMITTED)
    redis_server.stop()

    client.force_login(personas.quinn, backend="django.contrib.auth.backends.ModelBackend")
    for name in ("home", "outcomes:dashboard", "jobs:list", "cases:imports", "cases:list"):
        response, seconds = timed(lambda name=name: client.get(reverse(name)))
        assert response.status_code == 200, name
        assert seconds < PROMPT, f"{name} took {seconds:.1f} s"

    upload = tmp_path / "cin_census_2025.xml"
    upload.write_text(CENSUS)
    with upload.open("rb") as handle:
        response, seconds = timed(lambda: client.post(reverse("cases:imports"), {"returns": [handle]}))
    assert response.status_code == 302 and seconds < PROMPT
    assert "saved and waiting" in said(response)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.PENDING and run.upload  # the file is kept for the import

    bob = client.__class__()
    bob.force_login(personas.bob, backend="django.contrib.auth.backends.ModelBackend")
    move = reverse("audits:move", kwargs={"pk": audit.pk})
    response, seconds = timed(lambda: bob.post(move, {"to_status": AuditStatus.SIGNED_OFF}))
    assert response.status_code == 302 and seconds < PROMPT
    assert "signed off" in said(response)
    assert Audit.objects.get(pk=audit.pk).status == AuditStatus.SIGNED_OFF
    assert PendingRecompute.objects.filter(authority=personas.authority_a).exists()

    response, seconds = timed(lambda: client.post(reverse("jobs:run")))
    assert response.status_code == 302 and seconds < PROMPT
    assert "could not start" in said(response)
    postponed = JobRun.objects.get()
    assert postponed.status == JobStatus.INTERRUPTED
    detail = client.get(reverse("jobs:detail", kwargs={"pk": postponed.pk})).content.decode()
    assert "Interrupted" in detail and "background service" in detail

    redis_server.start()
    workers.start()
    resume_imports.delay(waiting_seconds=0)  # what beat sends every five minutes
    wait_for(
        lambda: ImportRun.objects.filter(status=ImportStatus.DONE).exists(),
        what="the waiting import to be done",
    )
    refresh_measures.delay()  # what beat sends every two minutes
    wait_for(
        lambda: (
            not PendingRecompute.objects.exists()
            and not JobRun.objects.filter(status=JobStatus.RUNNING).exists()
            and MeasureValue.objects.filter(authority=personas.authority_a).exists()
        ),
        what="the marked work to be recomputed",
    )
    run.refresh_from_db()
    assert (run.stored, run.status) == (5, ImportStatus.DONE) and not run.upload
