"""Background jobs of the audits app. Each task is one call into a service, takes ids (or nothing)
and is safe to run twice: a month is drawn once per plan, and reminders and chasers remember what
they already sent."""

from datetime import date

from celery import shared_task

from accounts.models import User
from audits import escalations, learning, sampling
from audits.models import SamplingPlan


@shared_task(name="audits.tasks.draw_due_samples")
def draw_due_samples() -> int:
    """Draw the plans whose day of the month has come and that have no draw for this month;
    returns the number of new draws."""
    return len(sampling.draw_due_plans())


@shared_task(name="audits.tasks.draw_sample")
def draw_sample(plan_id: int, month_iso: str, acting_user_id: int | None = None) -> int:
    """ "Draw now": draw one plan for the month of ``month_iso`` (any day of it, ISO 8601), as the
    user who asked; returns the draw's id (the existing one when the month is already drawn)."""
    plan = SamplingPlan.objects.select_related("authority", "tool").get(pk=plan_id)
    acting_user = User.objects.get(pk=acting_user_id) if acting_user_id is not None else None
    return sampling.draw(plan=plan, month=date.fromisoformat(month_iso), acting_user=acting_user).pk


@shared_task(name="audits.tasks.send_learning_reminders")
def send_learning_reminders() -> int:
    """Remind the owners of learning actions that are due or overdue; returns the emails sent."""
    return learning.remind_due_actions()


@shared_task(name="audits.tasks.chase_escalations")
def chase_escalations() -> int:
    """Chase the managers of safety escalations past their deadline; returns the chasers sent."""
    return escalations.chase_overdue()
