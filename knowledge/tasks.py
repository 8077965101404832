"""Background jobs of the knowledge app: one call into a service each, safe to run twice."""

from celery import shared_task

from knowledge import services


@shared_task(name="knowledge.tasks.send_access_reminders")
def send_access_reminders() -> int:
    """Remind people (and their QA leads) 30 and 7 days before their knowledge-bank access expires;
    returns the number of reminders sent."""
    return services.send_access_reminders()
