"""The job pages: QA leads and leaders watch their authority's runs, QA leads recompute now,
nobody sees another authority's runs, and the list reads a fixed number of queries."""

import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outcomes.models import JobKind, JobRun, JobStatus, MeasureValue, PendingRecompute
from outcomes.services import mark_stale
from tests.outcomes import builders as b

pytestmark = pytest.mark.django_db


def a_run(authority, *, status=JobStatus.SUCCEEDED, kind=JobKind.FULL, **fields) -> JobRun:
    started = timezone.now() - timedelta(minutes=5)
    finished = None if status == JobStatus.RUNNING else started + timedelta(seconds=42)
    values = {
        "batch": uuid.uuid4(),
        "kind": kind,
        "authority": authority,
        "status": status,
        "started_at": started,
        "finished_at": finished,
        "steps_total": 10,
        "steps_done": 10 if finished else 4,
        "rows_written": 315 if status == JobStatus.SUCCEEDED else 0,
    }
    return JobRun.objects.create(**(values | fields))


def test_a_qa_lead_sees_the_runs_the_pending_changes_and_the_button(personas, login):
    a = personas.authority_a
    a_run(a)
    a_run(
        a, status=JobStatus.FAILED, kind=JobKind.INCREMENTAL, since=date(2024, 5, 1), error="ValueError: bad"
    )
    a_run(personas.authority_b, rows_written=999)
    for _ in range(3):
        mark_stale(authority_id=a.pk, since=None, reason="x")
    PendingRecompute.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    response = login(personas.quinn).get(reverse("jobs:list"))
    assert response.status_code == 200
    assert [run.authority_id for run in response.context["runs"]] == [a.pk, a.pk]
    content = response.content.decode()
    assert "3 changes</strong> waiting to be counted, oldest 2\xa0minutes ago" in content
    assert "Recompute now" in content and reverse("jobs:run") in content
    assert "Incremental recompute" in content and "Full recompute" in content
    assert "From 1 May 2024" in content and "ValueError: bad" in content
    assert "42 seconds" in content and '<td class="text-end">315</td>' in content
    assert '<td class="text-end">999</td>' not in content  # B's run (a bare "999" could be in a token)


def test_a_leader_watches_but_cannot_recompute(personas, login):
    a_run(personas.authority_a)
    client = login(personas.leah)
    response = client.get(reverse("jobs:list"))
    assert response.status_code == 200
    assert len(response.context["runs"]) == 1
    assert "Recompute now" not in response.content.decode()
    assert client.post(reverse("jobs:run")).status_code == 403
    assert JobRun.objects.count() == 1


def test_practitioners_have_no_job_pages(personas, login):
    run = a_run(personas.authority_a)
    client = login(personas.alice)
    assert client.get(reverse("jobs:list")).status_code == 403
    assert client.get(reverse("jobs:detail", args=[run.pk])).status_code == 404


def test_another_authority_never_sees_authority_a_runs(personas, login):
    run = a_run(personas.authority_a)
    charlie = login(personas.charlie)
    assert charlie.get(reverse("jobs:detail", args=[run.pk])).status_code == 404
    assert charlie.get(reverse("jobs:progress", args=[run.pk])).status_code == 404
    assert charlie.get(reverse("jobs:list")).status_code == 403
    quentin = login(personas.quentin)
    assert quentin.get(reverse("jobs:detail", args=[run.pk])).status_code == 404
    listed = quentin.get(reverse("jobs:list"))
    assert listed.status_code == 200 and list(listed.context["runs"]) == []
    assert quentin.get(reverse("jobs:detail", args=[run.pk + 999])).status_code == 404


def test_recompute_now_runs_the_full_job_and_shows_its_progress(
    personas, login, django_capture_on_commit_callbacks
):
    a = personas.authority_a
    b.referral(b.child(a), "2024-04-02")
    b.referral(b.child(personas.authority_b), "2024-04-02")
    client = login(personas.quinn)
    assert client.get(reverse("jobs:run")).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("jobs:run"))
    run = JobRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[run.pk])
    assert (run.kind, run.status, run.triggered_by, run.authority) == (
        JobKind.FULL,
        JobStatus.SUCCEEDED,
        personas.quinn,
        a,
    )
    assert MeasureValue.objects.filter(authority=a).count() == run.rows_written > 0
    assert not MeasureValue.objects.filter(authority=personas.authority_b).exists()
    page = client.get(response["Location"]).content.decode()
    assert 'role="progressbar"' in page and "100%" in page
    assert "hx-get" not in page  # finished: no more polling
    assert f"{run.rows_written} values written" in page


def test_recompute_now_while_a_run_is_running_shows_that_run(personas, login):
    running = a_run(personas.authority_a, status=JobStatus.RUNNING)
    response = login(personas.quinn).post(reverse("jobs:run"))
    assert response["Location"] == reverse("jobs:detail", args=[running.pk])
    assert JobRun.objects.count() == 1


def test_a_running_run_polls_its_progress_every_second(personas, login):
    run = a_run(personas.authority_a, status=JobStatus.RUNNING)
    client = login(personas.leah)
    page = client.get(reverse("jobs:detail", args=[run.pk])).content.decode()
    progress = reverse("jobs:progress", args=[run.pk])
    assert f'hx-get="{progress}"' in page and 'hx-trigger="every 1s"' in page
    assert 'aria-valuenow="40"' in page and "step 4 of 10" in page
    JobRun.objects.filter(pk=run.pk).update(
        status=JobStatus.FAILED, finished_at=timezone.now(), error="RuntimeError: stopped"
    )
    partial = client.get(progress, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-get" not in partial and "RuntimeError: stopped" in partial
    assert "<html" not in partial


def test_the_list_reads_a_fixed_number_of_queries(personas, login, django_assert_num_queries):
    a = personas.authority_a
    a_run(a, triggered_by=personas.quinn)
    mark_stale(authority_id=a.pk, since=None, reason="x")
    client = login(personas.quinn)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("jobs:list")).status_code == 200
    for index in range(30):
        a_run(a, triggered_by=personas.quinn if index % 2 else personas.bob, status=JobStatus.FAILED)
        mark_stale(authority_id=a.pk, since=None, reason="x")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("jobs:list"))
    assert len(response.context["runs"]) == 31
