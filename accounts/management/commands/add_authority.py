from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import authority_ensure


class Command(BaseCommand):
    help = "Add an authority by its DfE three-digit LA number (idempotent; a second run updates the name)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="DfE LA number, e.g. 872")
        parser.add_argument("name", help='Name, e.g. "Wokingham"')

    def handle(self, *args, code: str, name: str, **options):
        try:
            authority, created = authority_ensure(code=code.strip(), name=name.strip())
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            ) from None
        self.stdout.write(f"{'Added' if created else 'Already present'}: {authority}")
