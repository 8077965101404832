from django.core.management.base import BaseCommand

from accounts.schedules import schedules_ensure


class Command(BaseCommand):
    help = "Create the default schedules of the background jobs (idempotent; edited later in the admin)."

    def handle(self, *args, **options):
        created = schedules_ensure()
        self.stdout.write(f"{len(created)} schedule(s) created." if created else "Schedules already present.")
