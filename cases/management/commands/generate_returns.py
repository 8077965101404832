from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases import synthetic


def _list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


class Command(BaseCommand):
    help = (
        "Write made-up statutory returns for the demo and the benchmarks: per authority one CIN census XML "
        "per census year and an SSDA903 header and episodes CSV, under OUT/<code>/, plus OUT/manifest.json; "
        "with --teams also an Ofsted Annex A workbook (OUT/<code>/annex_a.xlsx) allocating each child to one of "
        "the teams. The same arguments always give byte-identical files."
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
            "--years",
            default=f"{synthetic.DEFAULT_YEARS[0]}-{synthetic.DEFAULT_YEARS[-1]}",
            help="Census years, first-last (the year Y runs from 1 April Y-1 to 31 March Y)",
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
                "Comma-separated team names of every authority: also write OUT/<code>/annex_a.xlsx (Lists 3, 7 "
                "and 8 of the last census year) with each child's allocated team: looked-after children in a "
                'team named "...Care...", children on a child protection plan in the "...Child Protection..." '
                "teams, the others in the rest"
            ),
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
            years = synthetic.parse_years(options["years"])
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
                bad_rate=options["bad_rate"],
                teams=_list(options["teams"]) or None,
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
                f"(census years {years[0]}-{years[-1]}) and {out / 'manifest.json'}"
            )
        )
