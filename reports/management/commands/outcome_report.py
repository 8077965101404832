import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Authority
from reports import quarters, selectors, services


class Command(BaseCommand):
    help = (
        "Write an authority's quarterly outcome report as a PDF, e.g. --authority 872 --quarter 2024-25-Q1 "
        "--output report.pdf (financial-year quarters: Q1 is April to June). The report is the same as the "
        "archive's but it is not stored in the archive; the scheduled job and the Reports page store theirs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--authority", required=True, metavar="CODE", help="DfE LA number, e.g. 872")
        parser.add_argument(
            "--quarter", required=True, metavar="YYYY-YY-QN", help="Financial quarter, e.g. 2024-25-Q1"
        )
        parser.add_argument("--output", required=True, metavar="FILE.pdf", help="Where to write the PDF")

    def handle(self, *args, authority: str, quarter: str, output: str, **options):
        found = Authority.objects.filter(code=authority.strip()).first()
        if found is None:
            raise CommandError(
                f"No authority has the DfE number {authority!r}: add it with add_authority first."
            )
        try:
            quarter_start = quarters.parse_quarter(quarter)
        except quarters.QuarterError as error:
            raise CommandError(str(error)) from None
        label = quarters.quarter_label(quarter_start)
        if not quarters.is_complete(quarter_start, timezone.localdate()):
            raise CommandError(
                f"{label} is not over yet: it ends on {quarters.quarter_end(quarter_start):%-d %B %Y}. "
                "Reports are made for complete quarters."
            )
        if not selectors.has_data(authority=found, quarter_start=quarter_start):
            raise CommandError(
                f"{found.name} has no stored measure values for {label} ({quarters.quarter_dates(quarter_start)}): "
                "import its returns and run compute_measures, or choose another quarter."
            )
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"The folder {str(path.parent)!r} does not exist.")
        pdf = services.render_pdf(authority=found, quarter_start=quarter_start)
        path.write_bytes(pdf.content)
        checksum = hashlib.sha256(pdf.content).hexdigest()
        self.stdout.write(
            f"Wrote {path} ({found.name}, {label}): {pdf.pages} pages, {len(pdf.content):,} bytes, "
            f"SHA-256 {checksum}."
        )
