"""An import committed while the full measures job (``outcomes.services.measures_compute``) runs, in
another thread: once the incremental job has run (``measures_refresh(debounce_seconds=0)``), every
stored value (authority, team, measure, period, numerator, denominator, value) is the one a clean
full recompute gives, nothing failed and no value is stored twice.

The import commits at each step of the job in turn: before it reads anything, between reading the
authority's periods and its marks, after the marks, half-way through the measures' counts, and
once everything is counted, before the write. The job's thread waits at that step until the
import, which starts there with it (a barrier), has committed.
"""

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile

from cases import services as case_services
from cases.models import ImportStatus
from outcomes import services
from outcomes.models import JobRun, JobStatus, MeasureValue, PendingRecompute
from outcomes.registry import MEASURES
from tests.concurrency.conftest import TIMEOUT, at_once, census
from tests.factories import AuthorityFactory, TeamFactory
from tests.outcomes import builders as b
from tests.outcomes.test_jobs import snapshot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The step of the job at which the import commits: the function of outcomes.services it is about
# to call.
STEPS = {
    "before reading": "_marks",
    "between the marks and the periods": "_ranges",
    "between the periods and the plans": "_plans",
    "after the marks": "_counts",
    "half-way through the counts": None,  # a measure's counts, half-way along the registry
    "before the write": "_rows",
}
# The file imported meanwhile: children already stored with records of another year (earlier, or
# later, than any stored), and new children.
FILES = {"earlier records": 2023, "later records": 2025}


def at_step(monkeypatch, step: str, wait: Callable[[], None]) -> None:
    """Make the job call ``wait`` once, at ``step``."""
    waited = threading.Event()

    def once() -> None:
        if not waited.is_set():
            waited.set()
            wait()

    name = STEPS[step]
    if name is None:
        keys = [key for key, measure in MEASURES.items() if measure.compute_every is not None]
        measure = MEASURES[keys[len(keys) // 2]]
        assert measure.compute_every is not None
        compute_every = measure.compute_every

        def counted(**kwargs: Any):
            once()
            return compute_every(**kwargs)

        monkeypatch.setitem(MEASURES, measure.key, dataclasses.replace(measure, compute_every=counted))
        return
    real = getattr(services, name)

    def waiting(*args: Any, **kwargs: Any):
        once()
        return real(*args, **kwargs)

    monkeypatch.setattr(services, name, waiting)


def duplicates() -> int:
    keys = MeasureValue.objects.values_list(
        "authority_id", "team_id", "measure", "period_type", "period_start"
    )
    return len(keys) - len(set(keys))


@pytest.mark.parametrize("year", FILES.values(), ids=list(FILES))
@pytest.mark.parametrize("step", list(STEPS))
def test_an_import_during_the_job_leaves_the_values_of_a_full_recompute(postgresql, monkeypatch, step, year):
    authority = AuthorityFactory(code="991")
    other = AuthorityFactory(code="992")
    team = TeamFactory(authority=authority)
    # Children allocated to a team (so that there are team values too), and a census of others.
    for number in range(3):
        kid = b.child(authority, team=team)
        b.referral(kid, f"2024-0{number + 4}-10")
        b.cp_plan(kid, f"2024-0{number + 5}-01", "2024-11-30" if number else None)
    for target, ids in ((authority, range(1, 101)), (other, range(1, 41))):
        run = case_services.import_run_create(
            authority=target,
            file=ContentFile(
                census([f"K{n:04d}" for n in ids], lea=target.code).encode(), name="cin_2024.xml"
            ),
        )
        case_services.import_run_execute(import_run_id=run.pk)
    services.measures_compute(authority_ids=[authority.pk, other.pk])
    other_values = snapshot(other)
    meanwhile = case_services.import_run_create(
        authority=authority,
        file=ContentFile(
            census([f"K{n:04d}" for n in range(50, 131)], lea="991", year=year).encode(),
            name=f"cin_{year}.xml",
        ),
    )
    meet, committed = threading.Barrier(2), threading.Event()

    def wait_for_the_import() -> None:
        meet.wait(TIMEOUT)
        assert committed.wait(TIMEOUT), "the import did not commit"

    def import_meanwhile():
        meet.wait(TIMEOUT)
        try:
            # As the upload does: the measures are marked stale once the file is in.
            return case_services.import_run_execute(import_run_id=meanwhile.pk, recompute=True)
        finally:
            committed.set()

    with monkeypatch.context() as patched:
        at_step(patched, step, wait_for_the_import)
        job, imported = at_once(
            lambda: services.measures_compute(authority_ids=[authority.pk]), import_meanwhile
        )

    assert (job.error, imported.error) == (None, None)
    assert imported.value.status == ImportStatus.DONE and imported.value.stored > 0
    services.measures_refresh(debounce_seconds=0)

    assert not PendingRecompute.objects.exists()
    assert not JobRun.objects.exclude(status=JobStatus.SUCCEEDED).exists()
    assert duplicates() == 0
    after = snapshot(authority)
    assert after
    services.measures_compute(authority_ids=[authority.pk])
    assert after == snapshot(authority)
    assert snapshot(other) == other_values
