import csv
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Authority
from outcomes.periods import PeriodType
from outcomes.selectors import EXPORT_HEADER, measure_rows
from qa_system import spreadsheets

TEAM_COLUMN = EXPORT_HEADER.index("team")


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} {text!r} is not a date in the form YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Write the stored measure values to standard output as CSV, one row per authority, team (empty for the "
        "whole authority), measure and period. Run compute_measures first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv"], default="csv", help="Output format (only csv).")
        parser.add_argument(
            "--authority",
            action="append",
            metavar="CODE",
            help="DfE LA number, e.g. 872 (repeat for several; default: every authority)",
        )
        parser.add_argument(
            "--period-type", choices=PeriodType.values, help="Only months, quarters or years."
        )
        parser.add_argument(
            "--from",
            dest="date_from",
            metavar="DATE",
            help="Only periods whose first day is on or after DATE (YYYY-MM-DD).",
        )
        parser.add_argument(
            "--to",
            dest="date_to",
            metavar="DATE",
            help="Only periods whose first day is on or before DATE (YYYY-MM-DD).",
        )

    def handle(self, *args, authority: list[str] | None, period_type, date_from, date_to, **options):
        codes = None
        if authority:
            codes = [code.strip() for code in authority]
            known = set(Authority.objects.filter(code__in=codes).values_list("code", flat=True))
            missing = [code for code in codes if code not in known]
            if missing:
                raise CommandError(
                    f"No authority has the DfE number {', '.join(repr(code) for code in missing)}: "
                    "add it with add_authority first."
                )
        start = _date(date_from, "--from") if date_from else None
        end = _date(date_to, "--to") if date_to else None
        if start and end and end < start:
            raise CommandError(f"--to {end.isoformat()} is before --from {start.isoformat()}.")
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(EXPORT_HEADER)
        for row in measure_rows(authority_codes=codes, period_type=period_type, date_from=start, date_to=end):
            # The spec's columns are exact: only the team's name, typed by a person, is escaped
            # (codes, measure keys, dates and figures never start a formula and stay as they are).
            row[TEAM_COLUMN] = spreadsheets.safe_text(row[TEAM_COLUMN])
            writer.writerow(row)
