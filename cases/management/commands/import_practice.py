from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Authority, User
from cases.importers.base import FileRejected
from cases.practice_import import practice_import


class Command(BaseCommand):
    help = (
        "Import the Signs of Safety practice record (maps, danger statements and goals, scaling, network, "
        "safety plans, child's-voice tools, conferences) from a CSV export of the case-recording system; "
        "the column layout is in cases/practice_import.py and the README. Prints a summary line and every "
        "rejected row. Exits 1 when the file was rejected whole."
    )

    def add_arguments(self, parser):
        parser.add_argument("--authority", required=True, help="DfE LA number of the authority, e.g. 872")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--user", help="Username to record as the one who recorded the rows (default: none)"
        )

    def handle(self, *args, authority: str, file: Path, user: str | None, **options):
        found = Authority.objects.filter(code=authority).first()
        if found is None:
            raise CommandError(
                f"No authority has the DfE number {authority!r}: add it with add_authority first."
            )
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        acting_user = None
        if user:
            acting_user = User.objects.filter(username=user).first()
            if acting_user is None:
                raise CommandError(f"No user is called {user!r}.")
        try:
            with file.open("rb") as handle:  # read as it is parsed, a block at a time
                result = practice_import(
                    authority=found, file=handle, filename=file.name, acting_user=acting_user
                )
        except FileRejected as rejection:
            self.stdout.write(f"{file.name}: rejected: {rejection}")
            raise SystemExit(1) from None
        self.stdout.write(
            f"{file.name}: practice record: {result.stored} stored, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.rejected} rejected"
        )
        for problem in result.problems:
            self.stdout.write(
                f"  rejected: child {problem.child or '?'} ({problem.where}): {problem.field}: {problem.reason}"
            )
