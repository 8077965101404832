from django.core.management.base import BaseCommand, CommandError

from qa_system.celery import DEFAULT_SCHEDULES, app


class Command(BaseCommand):
    help = (
        "Run one scheduled job now, in this process. Without a broker (the embedded default) "
        "nothing runs on a schedule: call this from cron instead."
    )

    def add_arguments(self, parser):
        tasks = sorted({task for task, _ in DEFAULT_SCHEDULES.values()})
        parser.add_argument("task", help="The task name, one of: " + ", ".join(tasks))

    def handle(self, *args, task: str, **options):
        app.loader.import_default_modules()
        if task not in app.tasks:
            raise CommandError(
                f"No job is called {task!r}. Known jobs: {', '.join(sorted(t for t, _ in DEFAULT_SCHEDULES.values()))}."
            )
        result = app.tasks[task].apply()
        result.get()
        self.stdout.write(f"{task}: {result.result}")
