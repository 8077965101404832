"""The Celery application.

Configuration comes from the Django settings prefixed ``CELERY_``. Without a broker the settings
make every task run in-process when it is called (the embedded default). Periodic schedules live
in the database (django-celery-beat) so that QA leads can change them in the admin; the defaults
are created by ``manage.py setup_schedules`` from ``DEFAULT_SCHEDULES`` below.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qa_system.settings")

app = Celery("qa_system")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# name -> (task, crontab fields). Later features add their jobs here.
DEFAULT_SCHEDULES: dict[str, tuple[str, dict[str, str]]] = {
    "Clear expired sessions (nightly)": (
        "accounts.tasks.clear_expired_sessions",
        {"minute": "15", "hour": "2", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
    # Imports that never reached a worker (the broker was down) or whose worker stopped half-way.
    "Resume waiting and interrupted imports (every five minutes)": (
        "cases.tasks.resume_imports",
        {"minute": "*/5", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
    "Recompute measures (nightly)": (
        "outcomes.tasks.compute_measures",
        {"minute": "30", "hour": "3", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
    # Every two minutes: recompute what imports, sign-offs and the like have touched (debounced).
    "Recompute touched measures (every two minutes)": (
        "outcomes.tasks.refresh_measures",
        {"minute": "*/2", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
    # After each financial quarter, once the nightly job has counted its last days.
    "Generate quarterly outcome reports": (
        "reports.tasks.generate_quarterly_reports",
        {"minute": "0", "hour": "6", "day_of_week": "*", "day_of_month": "5", "month_of_year": "1,4,7,10"},
    ),
    # Daily: each plan is drawn on its own day of the month; the job finds the plans that are due.
    "Draw due audit samples (daily)": (
        "audits.tasks.draw_due_samples",
        {"minute": "0", "hour": "6", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
    "Remind owners of due learning actions (daily)": (
        "audits.tasks.send_learning_reminders",
        {"minute": "30", "hour": "7", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
    # Daily: 30 and 7 days before knowledge-bank access expires, each reminder once.
    "Remind staff of expiring knowledge-bank access (daily)": (
        "knowledge.tasks.send_access_reminders",
        {"minute": "30", "hour": "7", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
    "Chase overdue safety escalations (daily)": (
        "audits.tasks.chase_escalations",
        {"minute": "0", "hour": "8", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
}
