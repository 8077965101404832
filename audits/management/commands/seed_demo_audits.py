from django.core.management.base import BaseCommand

from audits import demo


class Command(BaseCommand):
    help = "Create the demo's audits: past signed-off audits and the live walkthrough (idempotent)."

    def handle(self, *args, **options):
        counts = demo.seed()
        walkthrough = demo.seed_walkthrough()
        for code, count in counts.items():
            self.stdout.write(f"{code}: {count} past audits created")
        self.stdout.write(walkthrough)
