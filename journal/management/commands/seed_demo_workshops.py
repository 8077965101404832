from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from journal.demo import seed_workshops


class Command(BaseCommand):
    help = (
        "The demo's workshops (last quarter's, closed, and this quarter's, open), the authorities' "
        "reflections and last quarter's published journal (idempotent; run after seed_demo)."
    )

    def handle(self, *args, **options):
        if not User.objects.filter(username="pam").exists():
            raise CommandError("The demo people are missing: run seed_demo first.")
        seeded = seed_workshops(today=timezone.localdate())
        self.stdout.write(
            f"Workshop poll open now: code {seeded.open.code}, at {reverse('journal:answer', args=[seeded.open.code])} "
            f"(results at {reverse('journal:results', args=[seeded.open.pk])}); "
            f"journal {seeded.journal.quarter_label} published at {reverse('journal:detail', args=[seeded.journal.pk])}."
        )
