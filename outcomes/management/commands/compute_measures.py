from django.core.management.base import BaseCommand, CommandError

from accounts.models import Authority
from outcomes.services import measures_compute


class Command(BaseCommand):
    help = (
        "Compute the case-activity measures (the aggregation job, run synchronously in this process) for one "
        "authority, or for every authority when --authority is not given. Rerunning writes the same values."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--authority",
            action="append",
            metavar="CODE",
            help="DfE LA number of the authority, e.g. 872 (repeat for several; default: every authority)",
        )

    def handle(self, *args, authority: list[str] | None, **options):
        authority_ids = None
        if authority:
            codes = [code.strip() for code in authority]
            found = dict(Authority.objects.filter(code__in=codes).values_list("code", "id"))
            missing = [code for code in codes if code not in found]
            if missing:
                raise CommandError(
                    f"No authority has the DfE number {', '.join(repr(code) for code in missing)}: "
                    "add it with add_authority first."
                )
            authority_ids = list(found.values())
        written = measures_compute(authority_ids=authority_ids)
        where = ", ".join(authority) if authority else "every authority"
        self.stdout.write(f"Computed {written} measure values for {where}.")
