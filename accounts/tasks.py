"""Background jobs of the accounts app. Each task is one call into Django or a service."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.tasks.clear_expired_sessions")
def clear_expired_sessions() -> str:
    call_command("clearsessions")
    return "ok"


@shared_task(name="accounts.tasks.ping")
def ping(value: str) -> str:
    """Answers with what it was given: proves a worker (or the in-process fallback) runs tasks."""
    return f"pong:{value}"
