"""Background jobs for case data: each task takes ids and calls a service."""

from celery import shared_task

from cases import services


@shared_task(name="cases.tasks.run_import", acks_late=True)
def run_import(import_run_id: int) -> str:
    run = services.import_run_execute(import_run_id=import_run_id, recompute=True)
    return run.status
