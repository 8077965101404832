from django.core.management.base import BaseCommand, CommandError

from accounts.models import Authority
from outcomes.services import measures_compute, measures_refresh


class Command(BaseCommand):
    help = (
        "Compute the measures (the aggregation job, run synchronously in this process) for one "
        "authority, or for every authority when --authority is not given. Rerunning writes the same values. "
        "Each authority's run is recorded as a job run. With --incremental, recompute only what changed "
        "since the last run (the changes waiting to be counted), now."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--authority",
            action="append",
            metavar="CODE",
            help="DfE LA number of the authority, e.g. 872 (repeat for several; default: every authority)",
        )
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="Recompute only the periods touched by the changes waiting to be counted, without waiting",
        )

    def handle(self, *args, authority: list[str] | None, incremental: bool = False, **options):
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
        where = ", ".join(authority) if authority else "every authority"
        if incremental:
            written = measures_refresh(authority_ids=authority_ids, debounce_seconds=0)
            self.stdout.write(f"Recomputed {written} measure values for the changes waiting in {where}.")
            return
        written = measures_compute(authority_ids=authority_ids)
        self.stdout.write(f"Computed {written} measure values for {where}.")
