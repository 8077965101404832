"""Background jobs of the outcomes app. Each task is one call into a service and is safe to rerun."""

from celery import shared_task

from outcomes.services import measures_compute


@shared_task(name="outcomes.tasks.compute_measures")
def compute_measures(authority_ids: list[int] | None = None) -> int:
    """Recompute the measures of these authorities (all when None); returns the rows written."""
    return measures_compute(authority_ids=authority_ids)
