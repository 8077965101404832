from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from audits.models import Tool
from audits.xlsform import xlsform_to_draft


class Command(BaseCommand):
    help = (
        "Import an XLSForm workbook as a new draft version of a tool, then print, row by row, every XLSForm "
        "feature the platform does not support and what became of it. Nothing is stored when the workbook "
        "cannot be read or holds no question the platform can import."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tool_key", help="The tool's key, e.g. case-audit")
        parser.add_argument("file", type=Path, help="The .xlsx (or .xlsm, .xls) workbook")
        parser.add_argument(
            "--user", help="Username to record as the author (default: none, the command line)"
        )

    def handle(self, *args, **options) -> None:
        tool = Tool.objects.filter(key=options["tool_key"]).first()
        if tool is None:
            raise CommandError(f"There is no tool with the key '{options['tool_key']}'.")
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"There is no user '{options['user']}'.")
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from error
        try:
            version, report = xlsform_to_draft(tool=tool, data=data, filename=path.name, acting_user=user)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from error
        sections = version.sections.count()
        items = version.items.count()
        self.stdout.write(
            f"Created {version} (draft) from {path.name}: {sections} section{'s' * (sections != 1)}, "
            f"{items} item{'s' * (items != 1)}."
        )
        for line in report:
            self.stdout.write(f"- {line}")
