"""Background jobs for case data: each task takes ids and calls a service."""

from datetime import timedelta

from celery import shared_task

from cases import services


@shared_task(name="cases.tasks.run_import", acks_late=True)
def run_import(import_run_id: int) -> str:
    run = services.import_run_execute(import_run_id=import_run_id, recompute=True)
    return run.status


@shared_task(name="cases.tasks.resume_imports")
def resume_imports(waiting_seconds: int = 60) -> int:
    """Queue again the imports whose process ended half-way and those that have waited longer than
    ``waiting_seconds`` (the broker was down at the upload); returns how many."""
    waiting = services.import_runs_resume(waiting_for=timedelta(seconds=waiting_seconds))
    for import_run_id in waiting:
        run_import.delay(import_run_id)
    return len(waiting)
