from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Authority
from cases import practice_synthetic


class Command(BaseCommand):
    help = (
        "Write a made-up Signs of Safety practice record export (maps, danger statements and goals, scaling, "
        "networks, safety plans, child's-voice tools, conferences) for the children of one authority, following "
        "their case records as known on --as-of, in the layout import_practice reads. The same arguments and "
        "case records always give a byte-identical file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--authority", required=True, help="DfE LA number of the authority, e.g. 872")
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument("--out", type=Path, required=True, help="The CSV file to write")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help="YYYY-MM-DD: nothing is dated after it, and later case records are ignored (default: today)",
        )

    def handle(self, *args, authority: str, seed: int, out: Path, as_of: str | None, **options) -> None:
        found = Authority.objects.filter(code=authority).first()
        if found is None:
            raise CommandError(
                f"No authority has the DfE number {authority!r}: add it with add_authority first."
            )
        try:
            day = date.fromisoformat(as_of) if as_of else timezone.localdate()
        except ValueError:
            raise CommandError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
        histories = practice_synthetic.case_histories(authority=found, as_of=day)
        rows = practice_synthetic.generate(histories, code=found.code, seed=seed, as_of=day)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(practice_synthetic.to_csv(rows).encode("utf-8"))
        children = len({row.child_id for row in rows})
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {len(rows)} practice record rows for {children} of {len(histories)} children of "
                f"{found.name} (as of {day.isoformat()}) to {out}"
            )
        )
