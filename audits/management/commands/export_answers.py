from datetime import date
from io import StringIO
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Authority
from audits import exports
from audits.models import Tool
from qa_system import spreadsheets


def _date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} {text!r} is not a date in the form YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Write an authority's audit answers as CSV or XLSX: one row per audit, one column per stable item "
        "key across every version of the tool (see audits/exports.py). The child's LA id is left out: "
        "the authority's QA lead downloads it from the Exports page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--authority", required=True, metavar="CODE", help="DfE LA number, e.g. 872")
        parser.add_argument("--tool", metavar="KEY", help="Only audits of this tool, e.g. case-audit")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="Output format")
        parser.add_argument(
            "--output", type=Path, metavar="FILE", help="The file to write (CSV: standard output when absent)"
        )
        parser.add_argument(
            "--from",
            dest="date_from",
            metavar="DATE",
            help="Only audits started on or after DATE (YYYY-MM-DD)",
        )
        parser.add_argument(
            "--to", dest="date_to", metavar="DATE", help="Only audits started on or before DATE (YYYY-MM-DD)"
        )

    def handle(self, *args, **options) -> None:
        authority = Authority.objects.filter(code=options["authority"].strip()).first()
        if authority is None:
            raise CommandError(
                f"No authority has the DfE number {options['authority']!r}: add it with add_authority first."
            )
        tool = None
        if options["tool"]:
            tool = exports.export_tools(authority=authority).filter(key=options["tool"]).first()
            if tool is None:
                known = Tool.objects.filter(key=options["tool"]).exists()
                raise CommandError(
                    f"{authority.name} does not use the tool {options['tool']!r}."
                    if known
                    else f"There is no tool with the key {options['tool']!r}."
                )
        start, end = _date(options["date_from"], "--from"), _date(options["date_to"], "--to")
        if start and end and end < start:
            raise CommandError(f"--to {end.isoformat()} is before --from {start.isoformat()}.")
        output: Path | None = options["output"]
        if options["format"] == "xlsx" and output is None:
            raise CommandError("An XLSX workbook needs --output FILE.")
        table = exports.answer_table(authority=authority, tool=tool, date_from=start, date_to=end)
        if options["format"] == "xlsx":
            assert output is not None
            output.write_bytes(spreadsheets.xlsx_bytes(exports.answer_sheets(table)))
        else:
            text = StringIO()
            spreadsheets.write_csv(text, table.header, table.rows)
            if output is None:
                self.stdout.write(text.getvalue(), ending="")
                return
            output.write_text(text.getvalue(), encoding="utf-8")
        self.stdout.write(f"Wrote {len(table.rows)} audit{'s' if len(table.rows) != 1 else ''} to {output}.")
