"""The pages that hand work to a worker, when the broker cannot take it: a clear message, and the
work kept where the jobs that run once the broker is back find it. The real outage is exercised in
tests/faults/test_redis_down.py."""

from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import ImportRun, ImportStatus
from outcomes.models import JobRun, JobStatus, PendingRecompute
from tests.cases.test_imports import GOOD

pytestmark = pytest.mark.django_db


def said(response) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


@pytest.fixture
def broker_down():
    with mock.patch("qa_system.background.start", return_value=False) as start:
        yield start


def test_an_upload_is_kept_waiting_with_a_message(personas, login, broker_down):
    upload = SimpleUploadedFile("cin_census_2025.xml", GOOD.encode(), content_type="text/xml")
    response = login(personas.quinn).post(reverse("cases:imports"), {"returns": [upload]})
    assert response.status_code == 302
    assert "saved and waiting" in said(response)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.PENDING and run.upload and run.imported_by == personas.quinn


def test_recompute_now_is_postponed_to_a_mark_with_a_message(personas, login, broker_down):
    response = login(personas.quinn).post(reverse("jobs:run"))
    run = JobRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "jobs:detail", kwargs={"pk": run.pk}
    )
    assert "could not start" in said(response)
    assert run.status == JobStatus.INTERRUPTED and "background service" in run.error
    mark = PendingRecompute.objects.get()
    assert (mark.authority, mark.since) == (personas.authority_a, None)
    assert "quinn" in mark.reason
    # Nothing blocks the next run.
    broker_down.return_value = True
    login(personas.quinn).post(reverse("jobs:run"))
    assert JobRun.objects.filter(status=JobStatus.RUNNING).count() == 1


def test_charlie_sees_neither_the_postponed_run_nor_its_page(personas, login, broker_down):
    login(personas.quinn).post(reverse("jobs:run"))
    run = JobRun.objects.get()
    assert login(personas.quentin).get(reverse("jobs:detail", kwargs={"pk": run.pk})).status_code == 404
