from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cases import synthetic


def _list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _as_of(text: str | None) -> date:
    """An ISO date; today's (in the project's time zone) when not given."""
    if text is None:
        return timezone.localdate()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"--as-of {text!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = (
        "Write made-up statutory returns for the demo and the benchmarks, as an authority would hold them on "
        "the --as-of date: per authority one CIN census XML per census year and an SSDA903 header and episodes "
        "CSV (as at the last census reference date), under OUT/<code>/, plus OUT/manifest.json; with --teams "
        "also an Ofsted Annex A workbook (OUT/<code>/annex_a.xlsx) from the start of the last census year to "
        "the as-of date, allocating each child to one of the teams. Nothing dated after the as-of date is "
        "written. Census files and workbooks an earlier run left in OUT/<code>/ and this run does not write (an "
        "older census year) are removed. "
        "The same arguments always give byte-identical files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--authorities", type=int, required=True, help="How many authorities")
        parser.add_argument("--children-per-authority", type=int, required=True)
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument(
            "--out", type=Path, required=True, help="Folder to write into (created if absent)"
        )
        parser.add_argument("--codes", help="Comma-separated DfE LA numbers (default 801, 802, ...)")
        parser.add_argument("--names", help="Comma-separated names, in the order of the codes")
        parser.add_argument(
            "--as-of",
            help=(
                "The date the returns are made on, YYYY-MM-DD (default: today): the histories run up to it "
                "and nothing after it is written"
            ),
        )
        parser.add_argument(
            "--years",
            help=(
                "Census years, first-last (the year Y runs from 1 April Y-1 to 31 March Y; default: the "
                f"{synthetic.CENSUS_YEARS} census years ending on or before the as-of date)"
            ),
        )
        parser.add_argument(
            "--bad-rate",
            type=float,
            default=synthetic.DEFAULT_BAD_RATE,
            help="Share of records written deliberately bad (impossible date, end before start, missing ID)",
        )
        parser.add_argument(
            "--teams",
            help=(
                "Comma-separated team names of every authority: also write OUT/<code>/annex_a.xlsx (Lists 3 to 8 "
                "from the start of the last census year to the as-of date) with each child's allocated team: "
                "looked-after children in a "
                'team named "...Care...", children on a child protection plan in the "...Child Protection..." '
                "teams, the others in the rest"
            ),
        )

        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Authorities written at once, each in its own process (the files are the same whatever the number)",
        )

    def handle(self, *args, **options) -> None:
        count: int = options["authorities"]
        if count < 1:
            raise CommandError("--authorities must be 1 or more")
        if options["children_per_authority"] < 1:
            raise CommandError("--children-per-authority must be 1 or more")
        codes, names = _list(options["codes"]), _list(options["names"])
        try:
            authorities = synthetic.default_authorities(count) if not codes else []
            as_of = _as_of(options["as_of"])
            years = (
                synthetic.parse_years(options["years"]) if options["years"] else synthetic.census_years(as_of)
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        if codes:
            if len(codes) != count:
                raise CommandError(f"--codes lists {len(codes)} codes for {count} authorities")
            authorities = [(code, f"Synthetic Authority {code}") for code in codes]
        if names:
            if len(names) != count:
                raise CommandError(f"--names lists {len(names)} names for {count} authorities")
            authorities = [(code, name) for (code, _), name in zip(authorities, names, strict=True)]
        out: Path = options["out"]
        try:
            manifest = synthetic.generate(
                out,
                authorities=authorities,
                children_per_authority=options["children_per_authority"],
                seed=options["seed"],
                years=years,
                as_of=as_of,
                bad_rate=options["bad_rate"],
                teams=_list(options["teams"]) or None,
                workers=options["workers"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        for authority in manifest.authorities:
            self.stdout.write(
                f"{authority.code} {authority.name}: {authority.children} children, {authority.referrals} referrals, "
                f"{authority.looked_after} looked after, {authority.bad_records} deliberately bad records"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {manifest.file_count} files for {len(manifest.authorities)} authorities "
                f"(census years {years[0]}-{years[-1]}, as of {as_of.isoformat()}) and {out / 'manifest.json'}"
            )
        )
