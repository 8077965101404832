from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Authority
from audits import synthetic
from outcomes.services import measures_compute


class Command(BaseCommand):
    help = (
        "Write made-up signed-off case audits with their answers, moves and learning actions, in bulk, for "
        "the benchmarks: by default about 0.16 audits per child of each authority (about 50,000 over 153 "
        "authorities of 2,000 children), spread over the eight quarters before the as-of date. Authorities "
        "that already have audits, or lack a practitioner and an auditor, are left alone. Then computes the "
        "measures of the authorities written to (unless --no-compute). The same seed gives the same audits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--authority",
            action="append",
            metavar="CODE",
            help="DfE LA number (repeat for several; default: every authority)",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--per-child",
            type=float,
            default=synthetic.AUDITS_PER_CHILD,
            help=f"Audits per child of the authority (default {synthetic.AUDITS_PER_CHILD:.3f})",
        )
        parser.add_argument(
            "--per-authority", type=int, help="A fixed number of audits per authority instead"
        )
        parser.add_argument(
            "--as-of", help="YYYY-MM-DD: the audits fall in the quarters before it (default: today)"
        )
        parser.add_argument("--quarters", type=int, default=synthetic.QUARTERS)
        parser.add_argument(
            "--no-compute", action="store_true", help="Leave the measures alone (the caller computes them)"
        )

    def handle(self, *args, **options) -> None:
        try:
            as_of = date.fromisoformat(options["as_of"]) if options["as_of"] else timezone.localdate()
        except ValueError:
            raise CommandError(f"--as-of {options['as_of']!r} is not a date (YYYY-MM-DD)") from None
        if options["quarters"] < 1:
            raise CommandError("--quarters must be 1 or more")
        if options["per_child"] < 0 or (options["per_authority"] or 0) < 0:
            raise CommandError("the number of audits cannot be negative")
        authorities = Authority.objects.order_by("code")
        if options["authority"]:
            codes = [code.strip() for code in options["authority"]]
            authorities = authorities.filter(code__in=codes)
            missing = sorted(set(codes) - set(authorities.values_list("code", flat=True)))
            if missing:
                raise CommandError(f"No authority has the DfE number {', '.join(missing)}.")
        written = synthetic.generate(
            authorities=list(authorities),
            seed=options["seed"],
            as_of=as_of,
            per_child=options["per_child"],
            per_authority=options["per_authority"],
            quarters=options["quarters"],
        )
        for code, count in written.items():
            self.stdout.write(f"{code}: {count} audits written")
        touched = [authority.pk for authority in authorities if written.get(authority.code)]
        if touched and not options["no_compute"]:
            measures_compute(authority_ids=touched)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {sum(written.values())} signed-off audits for {len(touched)} authorities."
            )
        )
