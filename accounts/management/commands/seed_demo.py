from django.core.management.base import BaseCommand

from accounts import demo
from accounts.schedules import schedules_ensure


class Command(BaseCommand):
    help = "Create the demo authorities, teams and one login per role (idempotent), then print the logins."

    def handle(self, *args, **options):
        demo.seed_people()
        schedules_ensure()
        self.stdout.write(demo.logins_table())
