from django.core.management.base import BaseCommand

from surveys.demo import seed_surveys

DEMO_CODES = ["991", "992", "993", "994", "995"]


class Command(BaseCommand):
    help = (
        "Give the demo a baseline staff survey wave, a follow-up and a wave open now, with made-up "
        "anonymous answers from every demo authority (idempotent)."
    )

    def handle(self, *args, **options):
        made = seed_surveys(codes=DEMO_CODES)
        self.stdout.write(f"{made['waves']} survey waves and {made['responses']} survey responses created.")
