"""The aggregation jobs as recorded runs: idempotence, a job stopped half-way, progress, claims,
marks and their debounce, the tasks and the command."""

import dataclasses
import os
import socket
import subprocess
import uuid
from datetime import date, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from cases.models import ImportRun, ImportStatus
from cases.services import _recompute_when_last
from outcomes import services
from outcomes.models import JobKind, JobRun, JobStatus, MeasureValue, PendingRecompute
from outcomes.registry import MEASURES
from outcomes.services import (
    job_runs_execute,
    job_runs_start,
    mark_stale,
    measures_compute,
    measures_refresh,
    steps_total,
)
from outcomes.tasks import compute_measures, refresh_measures, run_measure_jobs
from qa_system import leases
from tests.outcomes import builders as b

pytestmark = pytest.mark.django_db

FIELDS = [
    "authority_id",
    "team_id",
    "measure",
    "period_type",
    "period_start",
    "period_end",
    "numerator",
    "denominator",
    "value",
]


def snapshot(authority=None) -> list[tuple]:
    """Every stored value as a tuple (``computed_at`` left out), in a fixed order."""
    rows = MeasureValue.objects.all()
    if authority is not None:
        rows = rows.filter(authority=authority)
    return sorted(rows.values_list(*FIELDS), key=lambda row: tuple(str(v) for v in row))


def some_records(authority, team) -> None:
    north, nobody = b.child(authority, team=team), b.child(authority)
    b.referral(north, "2024-04-03")
    b.referral(north, "2024-09-20")
    b.cp_plan(north, "2024-05-01", "2024-11-30")
    b.episode(nobody, "2024-06-10", place="U1")
    b.assessment(nobody, "2024-06-01", "2024-07-15")


def failing(key: str, message: str = "worker stopped half-way"):
    """The registry with ``key``'s compute replaced by one that raises, from the second period
    type on (a run saves its progress once per period type: some progress is saved by then)."""
    real = MEASURES[key].compute

    def boom(**kwargs):
        if kwargs["period_type"] == "month":
            return real(**kwargs)
        raise RuntimeError(message)

    return mock.patch.dict(
        MEASURES, {key: dataclasses.replace(MEASURES[key], compute=boom, compute_every=None)}
    )


HALF_WAY = list(MEASURES)[len(MEASURES) // 2]


# --- idempotence ----------------------------------------------------------------------------------


def test_the_full_job_twice_stores_identical_values_and_no_duplicates(personas):
    a = personas.authority_a
    some_records(a, personas.team_a)
    b.referral(b.child(personas.authority_b), "2024-04-02")
    first = measures_compute()
    before = snapshot()
    assert first == len(before) > 0
    assert measures_compute() == first
    after = snapshot()
    assert after == before
    assert len(set(after)) == len(after)  # no row twice
    assert MeasureValue.objects.count() == first
    keys = MeasureValue.objects.values_list(
        "authority_id", "team_id", "measure", "period_type", "period_start"
    )
    assert len(set(keys)) == len(keys)
    runs = JobRun.objects.filter(kind=JobKind.FULL)
    assert runs.count() == 4  # two jobs over two authorities
    assert set(runs.values_list("status", flat=True)) == {JobStatus.SUCCEEDED}


def test_a_job_stopped_half_way_stores_nothing_and_a_rerun_matches_a_fresh_run(personas):
    a = personas.authority_a
    some_records(a, personas.team_a)
    measures_compute(authority_ids=[a.pk])
    before = snapshot()
    b.referral(b.child(a, team=personas.team_a), "2024-10-02")
    mark_stale(authority_id=a.pk, since=date(2024, 10, 2), reason="a referral")

    for job in (lambda: measures_compute(authority_ids=[a.pk]), lambda: measures_refresh(debounce_seconds=0)):
        with failing(HALF_WAY), pytest.raises(RuntimeError, match="worker stopped half-way"):
            job()
        assert snapshot() == before  # nothing of the stopped run is stored
        run = JobRun.objects.order_by("-pk").first()
        assert run.status == JobStatus.FAILED and run.finished_at is not None
        assert run.error == "RuntimeError: worker stopped half-way"
        assert 0 < run.steps_done < run.steps_total
        assert PendingRecompute.objects.count() == 1  # the mark waits for the next run

    measures_refresh(debounce_seconds=0)
    rerun = snapshot()
    assert rerun != before
    assert not PendingRecompute.objects.exists()
    MeasureValue.objects.all().delete()
    measures_compute(authority_ids=[a.pk])
    assert snapshot() == rerun


def test_a_failing_authority_does_not_stop_the_others(personas):
    """The authorities are computed together; when that fails, one at a time, so that only the
    authority whose data fails has a failed run."""
    a, other = personas.authority_a, personas.authority_b
    b.referral(b.child(a), "2024-04-02")
    b.referral(b.child(other), "2024-04-02")
    real = MEASURES["referrals"].compute
    asked = []

    def only_a_fails(**kwargs):
        asked.append(sorted(kwargs["authority_ids"]))
        if a.pk in kwargs["authority_ids"]:
            raise ValueError("bad data")
        return real(**kwargs)

    with (
        mock.patch.dict(
            MEASURES,
            {
                "referrals": dataclasses.replace(
                    MEASURES["referrals"], compute=only_a_fails, compute_every=None
                )
            },
        ),
        pytest.raises(ValueError, match="bad data"),
    ):
        measures_compute(authority_ids=[a.pk, other.pk])
    assert asked[0] == sorted([a.pk, other.pk])  # together first
    assert JobRun.objects.get(authority=a).status == JobStatus.FAILED
    assert JobRun.objects.get(authority=a).error == "ValueError: bad data"
    assert JobRun.objects.get(authority=other).status == JobStatus.SUCCEEDED
    assert MeasureValue.objects.filter(authority=other).exists()
    assert not MeasureValue.objects.filter(authority=a).exists()


# --- what a run records ----------------------------------------------------------------------------


def test_a_job_run_records_its_progress_and_the_rows_written(personas):
    a = personas.authority_a
    some_records(a, personas.team_a)
    seen = []  # steps done, read while the run computes
    last = list(MEASURES)[-1]  # progress is saved at each third of the measures
    real = MEASURES[last].compute

    def watching(**kwargs):
        # Another connection would read the same: the progress is saved outside the write.
        seen.append(JobRun.objects.get(authority=a).steps_done)
        return real(**kwargs)

    with mock.patch.dict(
        MEASURES,
        {last: dataclasses.replace(MEASURES[last], compute=watching, compute_every=None)},
    ):
        written = measures_compute(authority_ids=[a.pk], triggered_by=personas.quinn)
    run = JobRun.objects.get()
    assert (run.kind, run.status, run.since, run.triggered_by) == (
        JobKind.FULL,
        JobStatus.SUCCEEDED,
        None,
        personas.quinn,
    )
    assert run.rows_written == written == MeasureValue.objects.count()
    assert run.steps_total == steps_total() == 3 * len(MEASURES) + 1
    assert run.steps_done == run.steps_total and run.percent == 100
    assert run.started_at <= run.finished_at
    assert run.error == ""
    # Asked twice per period type (authority and team rows), after two thirds of the measures.
    assert len(seen) == 6 and len(set(seen)) == 1
    assert 0 < seen[0] < run.steps_total


def test_the_percent_of_a_running_run():
    run = JobRun(status=JobStatus.RUNNING, steps_total=8, steps_done=2)
    assert run.percent == 25


def a_dead_process_owner() -> str:
    """The owner of a process of this host that has ended."""
    process = subprocess.Popen(["true"])
    process.wait()
    return f"{socket.gethostname()}:{process.pid}:1"


def held_run(authority, *, owner: str, heartbeat_at=None, batch=None) -> JobRun:
    started = timezone.now() - timedelta(seconds=5)
    return JobRun.objects.create(
        batch=batch or uuid.uuid4(),
        kind="full",
        authority=authority,
        started_at=started,
        owner=owner,
        heartbeat_at=heartbeat_at or started,
    )


def test_a_run_whose_process_ended_is_recorded_as_interrupted_and_never_blocks_the_next(personas):
    a = personas.authority_a
    b.referral(b.child(a), "2024-04-02")
    stale = held_run(a, owner=a_dead_process_owner(), heartbeat_at=timezone.now())
    assert measures_compute(authority_ids=[a.pk]) > 0
    stale.refresh_from_db()
    assert stale.status == JobStatus.INTERRUPTED and stale.finished_at
    assert "its process ended" in stale.error
    assert JobRun.objects.filter(status=JobStatus.SUCCEEDED).count() == 1


def test_a_run_of_a_live_process_is_never_taken_however_old_its_heartbeat(personas):
    a = personas.authority_a
    long_ago = timezone.now() - timedelta(hours=3)
    live = held_run(a, owner=leases.owner(), heartbeat_at=long_ago)
    assert job_runs_start(kind=JobKind.FULL, authority_ids=[a.pk]) == []
    live.refresh_from_db()
    assert live.status == JobStatus.RUNNING


@override_settings(QA_LEASE_SECONDS=60)
def test_a_run_held_on_another_host_is_interrupted_once_its_lease_has_run_out(personas):
    a, other = personas.authority_a, personas.authority_b
    now = timezone.now()
    fresh = held_run(a, owner="worker-2:41:999", heartbeat_at=now - timedelta(seconds=30))
    expired = held_run(other, owner="worker-2:42:999", heartbeat_at=now - timedelta(seconds=61))
    runs = job_runs_start(kind=JobKind.FULL, authority_ids=[a.pk, other.pk])
    assert [run.authority_id for run in runs] == [other.pk]
    fresh.refresh_from_db()
    expired.refresh_from_db()
    assert (fresh.status, expired.status) == (JobStatus.RUNNING, JobStatus.INTERRUPTED)


def test_a_claimed_run_waits_for_a_worker_as_long_as_a_task_may_run(personas, settings):
    a = personas.authority_a
    queued = held_run(
        a, owner="", heartbeat_at=timezone.now() - timedelta(seconds=settings.QA_LEASE_SECONDS * 3)
    )
    assert job_runs_start(kind=JobKind.FULL, authority_ids=[a.pk]) == []
    JobRun.objects.filter(pk=queued.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    )
    assert len(job_runs_start(kind=JobKind.FULL, authority_ids=[a.pk])) == 1


def test_a_batch_whose_process_ended_is_done_by_the_task_delivered_again(personas):
    a = personas.authority_a
    b.referral(b.child(a), "2024-04-02")
    [run] = job_runs_start(kind=JobKind.FULL, authority_ids=[a.pk])
    JobRun.objects.filter(pk=run.pk).update(owner=a_dead_process_owner(), steps_done=7)
    assert run_measure_jobs.apply(args=[str(run.batch)]).get() == 3 * len(MEASURES)
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED and run.owner == leases.owner()


def test_a_batch_that_a_live_process_holds_is_left_to_it(personas):
    a = personas.authority_a
    b.referral(b.child(a), "2024-04-02")
    [run] = job_runs_start(kind=JobKind.FULL, authority_ids=[a.pk])
    JobRun.objects.filter(pk=run.pk).update(owner=f"{socket.gethostname()}:{os.getppid()}:")
    assert job_runs_execute(batch=run.batch) == 0
    run.refresh_from_db()
    assert run.status == JobStatus.RUNNING and not MeasureValue.objects.exists()


def test_an_authority_with_a_run_still_running_is_left_for_the_next_run(personas):
    a = personas.authority_a
    b.referral(b.child(a), "2024-04-02")
    mark_stale(authority_id=a.pk, since=None, reason="an import")
    held_run(a, owner=leases.owner())
    assert job_runs_start(kind=JobKind.INCREMENTAL, authority_ids=[a.pk]) == []
    assert measures_refresh(debounce_seconds=0) == 0
    assert PendingRecompute.objects.count() == 1
    assert not MeasureValue.objects.exists()


def test_running_a_batch_twice_does_nothing_the_second_time(personas):
    a = personas.authority_a
    b.referral(b.child(a), "2024-04-02")
    [run] = job_runs_start(kind=JobKind.FULL, authority_ids=[a.pk])
    assert run.status == JobStatus.RUNNING and run.pk
    written = run_measure_jobs.apply(args=[str(run.batch)]).get()
    assert written == 3 * len(MEASURES)
    computed_at = set(MeasureValue.objects.values_list("computed_at", flat=True))
    assert job_runs_execute(batch=run.batch) == 0
    assert set(MeasureValue.objects.values_list("computed_at", flat=True)) == computed_at


# --- marks --------------------------------------------------------------------------------------------


def test_the_incremental_job_consumes_the_marks_it_read(personas):
    a = personas.authority_a
    some_records(a, personas.team_a)
    measures_compute(authority_ids=[a.pk])
    assert measures_refresh(debounce_seconds=0) == 0  # nothing marked: no run
    assert not JobRun.objects.filter(kind=JobKind.INCREMENTAL).exists()
    b.referral(b.child(a), "2024-08-01")
    mark_stale(authority_id=a.pk, since=date(2024, 8, 1), reason="a referral")
    mark_stale(authority_id=a.pk, since=date(2024, 9, 3), reason="another")
    assert measures_refresh(debounce_seconds=0) > 0
    run = JobRun.objects.get(kind=JobKind.INCREMENTAL)
    assert (run.status, run.since) == (JobStatus.SUCCEEDED, date(2024, 8, 1))
    assert not PendingRecompute.objects.exists()


def test_a_mark_written_while_a_run_computes_waits_for_the_next_run(personas):
    a = personas.authority_a
    some_records(a, personas.team_a)
    measures_compute(authority_ids=[a.pk])
    mark_stale(authority_id=a.pk, since=date(2024, 9, 1), reason="first")
    real = MEASURES["referrals"].compute
    written = []

    def meanwhile(**kwargs):
        if not written:
            written.append(
                PendingRecompute.objects.create(authority=a, since=date(2024, 4, 1), reason="meanwhile")
            )
        return real(**kwargs)

    with mock.patch.dict(
        MEASURES,
        {"referrals": dataclasses.replace(MEASURES["referrals"], compute=meanwhile, compute_every=None)},
    ):
        [run] = job_runs_start(kind=JobKind.INCREMENTAL, authority_ids=[a.pk])
        job_runs_execute(batch=run.batch)
    assert list(PendingRecompute.objects.values_list("reason", flat=True)) == ["meanwhile"]
    run.refresh_from_db()
    assert run.since == date(2024, 9, 1)  # what it read


def test_the_incremental_job_takes_the_marks_written_while_it_ran_in_a_further_pass(personas):
    a = personas.authority_a
    some_records(a, personas.team_a)
    measures_compute(authority_ids=[a.pk])
    mark_stale(authority_id=a.pk, since=date(2024, 9, 1), reason="first")
    real = MEASURES["referrals"].compute

    def meanwhile(**kwargs):
        if not PendingRecompute.objects.filter(reason="meanwhile").exists() and kwargs["since"] != date(
            2024, 4, 1
        ):
            PendingRecompute.objects.create(authority=a, since=date(2024, 4, 1), reason="meanwhile")
        return real(**kwargs)

    with mock.patch.dict(
        MEASURES,
        {"referrals": dataclasses.replace(MEASURES["referrals"], compute=meanwhile, compute_every=None)},
    ):
        measures_refresh(debounce_seconds=0)
    assert not PendingRecompute.objects.exists()
    runs = JobRun.objects.filter(kind=JobKind.INCREMENTAL).order_by("pk")
    assert list(runs.values_list("since", flat=True)) == [date(2024, 9, 1), date(2024, 4, 1)]


def test_a_fresh_mark_waits_for_the_debounce(personas):
    a = personas.authority_a
    b.referral(b.child(a), "2024-04-02")
    mark_stale(authority_id=a.pk, since=date(2024, 4, 2), reason="a referral")
    assert measures_refresh(debounce_seconds=60) == 0
    assert PendingRecompute.objects.count() == 1 and not JobRun.objects.exists()
    PendingRecompute.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert measures_refresh(debounce_seconds=60) == 3 * len(MEASURES)
    assert not PendingRecompute.objects.exists()


def test_changes_that_keep_coming_are_counted_once_the_oldest_has_waited_long_enough(personas):
    a = personas.authority_a
    b.referral(b.child(a), "2024-04-02")
    old = mark_stale(authority_id=a.pk, since=date(2024, 4, 2), reason="first")
    mark_stale(authority_id=a.pk, since=date(2024, 4, 2), reason="just now")
    PendingRecompute.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(seconds=60 * services.MAX_WAIT_FACTOR + 1)
    )
    assert measures_refresh(debounce_seconds=60) > 0
    assert not PendingRecompute.objects.exists()


def test_the_debounce_is_the_setting_with_a_worker_and_none_in_process():
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, QA_RECOMPUTE_DEBOUNCE_SECONDS=90):
        assert services.recompute_debounce_seconds() == 90
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True, QA_RECOMPUTE_DEBOUNCE_SECONDS=90):
        assert services.recompute_debounce_seconds() == 0


def test_a_mark_asks_for_the_refresh_once_committed(personas, django_capture_on_commit_callbacks):
    a = personas.authority_a
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mark_stale(authority_id=a.pk, since=None, reason="x")
    assert len(callbacks) == 1
    with (
        override_settings(CELERY_TASK_ALWAYS_EAGER=False, QA_RECOMPUTE_DEBOUNCE_SECONDS=30),
        mock.patch.object(refresh_measures, "apply_async") as apply_async,
    ):
        callbacks[0]()
    apply_async.assert_called_once_with(countdown=31)
    # In-process (the embedded default, and the tests) it runs at once.
    callbacks[0]()
    assert not PendingRecompute.objects.exists()
    assert JobRun.objects.get().kind == JobKind.INCREMENTAL


def test_an_import_marks_the_whole_authority(personas):
    a = personas.authority_a
    run = ImportRun.objects.create(authority=a, filename="cin.xml", status=ImportStatus.DONE, stored=3)
    run.finished_at = timezone.now()
    run.save()
    _recompute_when_last(run)
    mark = PendingRecompute.objects.get()
    assert (mark.authority_id, mark.since) == (a.pk, None)
    assert "cin.xml" in mark.reason


# --- tasks and the command ---------------------------------------------------------------------------


def test_the_tasks_keep_their_names_and_run_the_services(personas):
    a = personas.authority_a
    b.referral(b.child(a), "2024-04-02")
    assert compute_measures.name == "outcomes.tasks.compute_measures"
    assert refresh_measures.name == "outcomes.tasks.refresh_measures"
    assert compute_measures.apply(args=[[a.pk]]).get() == 3 * len(MEASURES)
    mark_stale(authority_id=a.pk, since=date(2024, 4, 2), reason="x")
    assert refresh_measures.apply().get() == 3 * len(MEASURES)


def test_the_command_records_full_runs_and_runs_the_incremental_job_on_demand(personas):
    a = personas.authority_a
    b.referral(b.child(a), "2024-04-02")
    out = StringIO()
    call_command("compute_measures", "--authority", "991", stdout=out)
    assert out.getvalue() == f"Computed {3 * len(MEASURES)} measure values for 991.\n"
    assert JobRun.objects.get().kind == JobKind.FULL
    b.referral(b.child(a), "2024-05-02")
    mark_stale(authority_id=a.pk, since=date(2024, 5, 2), reason="x")
    out = StringIO()
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, QA_RECOMPUTE_DEBOUNCE_SECONDS=600):
        call_command("compute_measures", "--incremental", stdout=out)
    # May (and the quarter and year holding it): the fresh mark is taken without waiting.
    assert (
        out.getvalue()
        == f"Recomputed {3 * len(MEASURES)} measure values for the changes waiting in every authority.\n"
    )
    assert JobRun.objects.filter(kind=JobKind.INCREMENTAL, status=JobStatus.SUCCEEDED).count() == 1
    assert b.stored(a, "referrals", "year", "2024-04-01")[0] == 2


def test_the_nightly_job_forgets_finished_runs_older_than_it_keeps(personas):
    old = timezone.now() - timedelta(days=services.JOB_RUNS_KEPT_DAYS + 1)
    finished = JobRun.objects.create(
        batch=uuid.uuid4(),
        kind=JobKind.FULL,
        authority=personas.authority_a,
        status=JobStatus.SUCCEEDED,
        started_at=old,
        finished_at=old,
    )
    recent = JobRun.objects.create(
        batch=uuid.uuid4(),
        kind=JobKind.FULL,
        authority=personas.authority_a,
        status=JobStatus.SUCCEEDED,
        started_at=timezone.now() - timedelta(days=1),
    )
    measures_compute()
    assert not JobRun.objects.filter(pk=finished.pk).exists()
    assert JobRun.objects.filter(pk=recent.pk).exists()


# --- what a job does once -------------------------------------------------------------------------


def test_a_job_saves_its_progress_once_per_period_type(personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    some_records(personas.authority_a, personas.team_a)
    b.referral(b.child(personas.authority_b), "2024-04-02")
    with CaptureQueriesContext(connection) as context:
        measures_compute()
    progress = [query for query in context.captured_queries if '"steps_done" =' in query["sql"]]
    # One UPDATE for both runs per period type, and each run's UPDATE when it succeeds.
    assert len(progress) == 3 + 2


def test_a_sign_off_recomputes_only_the_audit_measures_from_its_date(personas):
    from outcomes.audit_measures import MEASURE_KEYS as AUDIT_MEASURES
    from outcomes.models import StaleScope

    a = personas.authority_a
    some_records(a, personas.team_a)
    measures_compute(authority_ids=[a.pk])
    before = {row[:5]: row for row in snapshot(a)}
    later = timezone.now() + timedelta(hours=1)
    with mock.patch.object(services, "_now", return_value=later):
        mark_stale(
            authority_id=a.pk, since=date(2024, 9, 1), reason="Audit signed off", scope=StaleScope.AUDITS
        )
        measures_refresh(debounce_seconds=0)
    run = JobRun.objects.filter(kind=JobKind.INCREMENTAL).get()
    rewritten = MeasureValue.objects.filter(authority=a, computed_at=later)
    assert set(rewritten.values_list("measure", flat=True)) == set(AUDIT_MEASURES)
    assert min(rewritten.values_list("period_end", flat=True)) >= date(2024, 9, 1)
    assert run.rows_written == rewritten.count() > 0
    assert {row[:5]: row for row in snapshot(a)} == before  # the same values
    assert not PendingRecompute.objects.exists()


def test_a_practice_record_marks_only_the_coverage_measures(personas):
    from cases.models import SafetyMap
    from outcomes.coverage_measures import MEASURE_KEYS as COVERAGE_MEASURES
    from outcomes.services import mark_record_stale, measures_stale_by

    child = b.child(personas.authority_a, team=personas.team_a)
    mark = mark_record_stale(record=SafetyMap(child=child, mapped_on=date(2024, 5, 2)), reason="A map")
    assert mark is not None and mark.since == date(2024, 5, 2)
    assert measures_stale_by(mark.scope) == list(COVERAGE_MEASURES)
    assert "coverage_map" in COVERAGE_MEASURES and "referrals" not in COVERAGE_MEASURES


def test_a_full_job_for_some_measures_rewrites_only_theirs_and_leaves_the_marks(personas):
    a = personas.authority_a
    some_records(a, personas.team_a)
    measures_compute(authority_ids=[a.pk])
    others_before = snapshot(a)
    MeasureValue.objects.filter(measure="referrals").update(numerator=999)
    MeasureValue.objects.exclude(measure="referrals").update(computed_at=timezone.now() - timedelta(days=9))
    mark = mark_stale(authority_id=a.pk, since=None, reason="a sign-off", scope="audits")

    measures_compute(authority_ids=[a.pk], measures=["referrals"])

    assert snapshot(a) == others_before  # referrals recomputed, nothing else lost or changed
    assert not MeasureValue.objects.filter(measure="referrals", numerator=999).exists()
    assert (
        not MeasureValue.objects.exclude(measure="referrals")
        .filter(computed_at__gt=timezone.now() - timedelta(days=1))
        .exists()
    )
    assert PendingRecompute.objects.filter(pk=mark.pk).exists()  # left for the incremental job
    with pytest.raises(ValueError, match="No such measures: nonsense"):
        measures_compute(authority_ids=[a.pk], measures=["nonsense"])
