from django.core.management.base import BaseCommand

from outcomes.demo import seed_targets
from reports.demo import seed_branding

DEMO_CODES = ["991", "992", "993", "994", "995"]


class Command(BaseCommand):
    help = "Give the demo authorities targets and report branding, as their QA leads would (idempotent)."

    def handle(self, *args, **options):
        targets = seed_targets(codes=DEMO_CODES)
        branding = seed_branding(codes=DEMO_CODES)
        self.stdout.write(f"{targets} targets and {branding} report brandings created.")
