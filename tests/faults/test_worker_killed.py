"""A Celery worker killed with SIGKILL during the full aggregation, then started again: the task
is delivered again, the runs the dead worker held are recorded as interrupted (they never block),
and the stored values end exactly as a clean run leaves them."""

import pytest

from outcomes.models import JobRun, JobStatus, MeasureValue
from outcomes.services import measures_compute
from outcomes.tasks import compute_measures
from tests.faults.conftest import wait_for
from tests.faults.data import CODES, generate, import_all, stored_values

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def returns(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("returns"))


@pytest.mark.parametrize("point", ["claimed", "counted", "second_write"])
def test_a_worker_killed_during_the_full_aggregation_leaves_the_values_of_a_clean_run(
    point, returns, redis_server, workers
):
    import_all(returns)
    measures_compute()  # the clean run, in this process
    clean = stored_values()
    assert len(clean) > 1000
    redis_server.flush()  # the imports' requests for a refresh: not part of this test
    MeasureValue.objects.all().delete()
    JobRun.objects.all().delete()

    killed = workers.start(kill_at=point)
    compute_measures.delay()
    assert killed.wait(timeout=180) == -9, "the worker should have been killed by SIGKILL"
    before = dict(JobRun.objects.values_list("pk", "status"))
    written = MeasureValue.objects.values("authority").distinct().count()
    if point == "second_write":  # the first authority's write had committed
        assert sorted(before.values()) == [JobStatus.RUNNING, JobStatus.RUNNING, JobStatus.SUCCEEDED]
        assert written == 1
    else:
        assert set(before.values()) == {JobStatus.RUNNING} and len(before) == len(CODES)
        assert written == 0

    workers.start()  # the same task is delivered again once its visibility timeout has passed
    again = JobRun.objects.exclude(pk__in=before)
    wait_for(
        lambda: (
            again.filter(status=JobStatus.SUCCEEDED).count() == len(CODES)
            and not JobRun.objects.filter(status=JobStatus.RUNNING).exists()
        ),
        timeout=180,
        what="the task delivered again to finish",
    )
    assert stored_values() == clean
    held = JobRun.objects.filter(pk__in=[pk for pk, status in before.items() if status == JobStatus.RUNNING])
    assert set(held.values_list("status", flat=True)) == {JobStatus.INTERRUPTED}
    assert all("its process ended" in error for error in held.values_list("error", flat=True))
