"""Import suppliers from CSV or XLSX files: ``manage.py import_suppliers FILE [FILE ...]``.

Each file is imported all or nothing. Prints every error as ``<file>: row R, column C: message`` and ends
with ``created N, updated M, errors K``; exits with status 1 when any file has errors or cannot be read.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from suppliers.importing import ImportFileError, import_suppliers


class Command(BaseCommand):
    help = "Create or update suppliers from CSV or XLSX files (each file all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="A .csv or .xlsx file of suppliers.")
        parser.add_argument("--by", metavar="USERNAME", help="User recorded as the author of the changes.")

    def handle(self, *args, files, by=None, **options):
        user = None
        if by:
            user = get_user_model()._default_manager.filter(username=by).first()
            if user is None:
                raise CommandError(f"--by: no user named {by!r}")
        several = len(files) > 1
        created = updated = errors = failed = 0
        for path in files:
            try:
                with open(path, "rb") as fileobj:
                    result = import_suppliers(fileobj=fileobj, filename=path, by=user)
            except (ImportFileError, OSError) as exc:
                message = str(exc) if isinstance(exc, ImportFileError) else f"{path}: {exc.strerror}"
                self.stdout.write(message)
                errors += 1
                failed += 1
                if several:
                    self.stdout.write(f"{path}: created 0, updated 0, errors 1")
                continue
            for error in result.errors:
                self.stdout.write(f"{path}: {error}")
            if several:
                self.stdout.write(f"{path}: {result.summary}")
            created += result.created
            updated += result.updated
            errors += len(result.errors)
            failed += not result.ok
        self.stdout.write(f"created {created}, updated {updated}, errors {errors}")
        if failed:
            raise CommandError(
                f"{failed} of {len(files)} file(s) not imported; nothing was written from them", returncode=1
            )
