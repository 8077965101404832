from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Authority, User
from cases.models import ImportStatus
from cases.services import import_files


class Command(BaseCommand):
    help = (
        "Import statutory returns (CIN census XML, SSDA903 header/episodes CSV, Ofsted Annex A XLSX; the format "
        "is detected from the content) into one authority. Prints a line per file and every rejected record. "
        "Exits 1 when a file was rejected whole."
    )

    def add_arguments(self, parser):
        parser.add_argument("--authority", required=True, help="DfE LA number of the authority, e.g. 872")
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument(
            "--user", help="Username to record as the importer (default: none, the command line)"
        )
        parser.add_argument(
            "--allow-other-authority",
            action="store_true",
            help="Import a CIN census whose LEA is another authority's number.",
        )

    def handle(
        self,
        *args,
        authority: str,
        files: list[Path],
        allow_other_authority: bool,
        user: str | None,
        **options,
    ):
        found = Authority.objects.filter(code=authority).first()
        if found is None:
            raise CommandError(
                f"No authority has the DfE number {authority!r}: add it with add_authority first."
            )
        missing = [str(path) for path in files if not path.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")
        acting_user = None
        if user:
            acting_user = User.objects.filter(username=user).first()
            if acting_user is None:
                raise CommandError(f"No user is called {user!r}.")
        runs = import_files(
            authority=found, paths=files, acting_user=acting_user, allow_other_authority=allow_other_authority
        )
        failed = False
        for run in runs:
            if run.status == ImportStatus.REJECTED:
                failed = True
                self.stdout.write(f"{run.filename}: rejected: {run.error}")
                continue
            self.stdout.write(
                f"{run.filename}: {run.get_file_format_display()}: {run.stored} stored, {run.updated} updated, "
                f"{run.unchanged} unchanged, {run.rejected} rejected"
            )
            for problem in run.problems:
                where = f" ({problem['where']})" if problem.get("where") else ""
                self.stdout.write(
                    f"  rejected: child {problem['child'] or '?'}{where}: {problem['field']}: {problem['reason']}"
                )
        if failed:
            raise SystemExit(1)
