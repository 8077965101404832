from django.core.management.base import BaseCommand

from accounts.models import User
from knowledge.demo import seed_access, seed_resources


class Command(BaseCommand):
    help = (
        "Fill the demo's knowledge library (programme and Ashdown resources, tagged to P1–P14 and the "
        "results logic) and its knowledge-bank access records (idempotent)."
    )

    def handle(self, *args, **options):
        editor = User.objects.filter(username="pam").first()
        resources = seed_resources(editor=editor)
        records = seed_access()
        self.stdout.write(f"{resources} knowledge resources and {records} access records created.")
