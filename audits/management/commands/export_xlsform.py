from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Authority
from audits.models import Tool, ToolVersion, VersionStatus
from audits.selectors import tool_in_use
from audits.xlsform import version_to_xlsform


class Command(BaseCommand):
    help = (
        "Write a tool version as an XLSForm workbook (survey, choices and settings sheets; the columns "
        "XLSForm lacks are described in audits/xlsform.py). Default: the latest published version, else "
        "the latest draft. With --authority, the tool as that authority uses it (its published adaptation)."
    )

    def add_base_argument(self, parser, *args, **kwargs) -> None:
        # Here --version names the tool version, not Django's version.
        if "--version" not in args:
            super().add_base_argument(parser, *args, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tool_key", help="The tool's key, e.g. case-audit")
        parser.add_argument("--version", type=int, help="Version number (default: the latest published)")
        parser.add_argument("--authority", help="DfE LA number: export the tool as this authority uses it")
        parser.add_argument("--out", type=Path, required=True, help="The .xlsx file to write")

    def handle(self, *args, **options) -> None:
        tool = Tool.objects.filter(key=options["tool_key"]).first()
        if tool is None:
            raise CommandError(f"There is no tool with the key '{options['tool_key']}'.")
        adaptation = None
        if options["authority"]:
            if options["version"] is not None:
                raise CommandError("Give --version or --authority, not both.")
            authority = Authority.objects.filter(code=options["authority"]).first()
            if authority is None:
                raise CommandError(f"There is no authority with the code '{options['authority']}'.")
            try:
                version, adaptation = tool_in_use(authority=authority, tool=tool)
            except ToolVersion.DoesNotExist as error:
                raise CommandError(str(error)) from error
        else:
            versions = tool.versions.order_by("-number")
            if options["version"] is not None:
                found = versions.filter(number=options["version"]).first()
            else:
                found = versions.filter(status=VersionStatus.PUBLISHED).first() or versions.first()
            if found is None:
                raise CommandError(f"{tool.name} has no version {options['version'] or ''}".rstrip() + ".")
            version = found
        out: Path = options["out"]
        out.write_bytes(version_to_xlsform(version=version, adaptation=adaptation))
        what = f"{version}" + (f", as adapted by {adaptation.adoption.authority.name}" if adaptation else "")
        self.stdout.write(f"Wrote {what} to {out}.")
