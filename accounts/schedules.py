"""The default schedules of the periodic jobs, stored with django-celery-beat.

The schedules are created once and then belong to the platform admins, who change them in the
admin; running this again never overwrites their changes.
"""

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from qa_system.celery import DEFAULT_SCHEDULES


@transaction.atomic
def schedules_ensure() -> list[str]:
    created = []
    for name, (task, crontab) in DEFAULT_SCHEDULES.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        schedule, _ = CrontabSchedule.objects.get_or_create(**crontab, timezone="Europe/London")
        PeriodicTask.objects.create(name=name, task=task, crontab=schedule)
        created.append(name)
    return created
