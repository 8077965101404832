"""Background jobs of the outcomes app. Each task is one call into a service and is safe to rerun."""

from celery import shared_task

from outcomes.services import job_runs_execute, measures_compute, measures_refresh


@shared_task(name="outcomes.tasks.compute_measures")
def compute_measures(authority_ids: list[int] | None = None) -> int:
    """The full recompute of these authorities (all when None); returns the rows written."""
    return measures_compute(authority_ids=authority_ids)


@shared_task(name="outcomes.tasks.refresh_measures")
def refresh_measures() -> int:
    """The incremental recompute of what changed since the last run (debounced); returns the rows
    written."""
    return measures_refresh()


@shared_task(name="outcomes.tasks.run_measure_jobs")
def run_measure_jobs(batch: str) -> int:
    """The job runs already claimed in ``batch`` (by "Recompute now"); returns the rows written."""
    return job_runs_execute(batch=batch)
