from django.core.management.base import BaseCommand

from accounts import demo
from accounts.schedules import schedules_ensure


class Command(BaseCommand):
    help = "Create the demo authorities, teams and one login per role (idempotent), then print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--logins", action="store_true", help="Only print the logins.")
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args, logins: bool, quiet: bool, **options):
        if not logins:
            demo.seed_people()
            schedules_ensure()
        if not quiet:
            self.stdout.write(demo.logins_table())
