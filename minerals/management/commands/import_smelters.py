"""Fill or update the smelter registry: ``manage.py import_smelters FILE [FILE ...]``.

A FILE is an RMI workbook (CMRT 6.x, EMRT 1.x–2.x: its "Smelter Look-up" sheet) or a facility list (CSV or
XLSX with a header row: smelter ID, standard name, metal, country, RMAP status, status date). Each file is
all or nothing; errors are printed as ``<file>, sheet S, row R, column C: message``. Exits with status 1
when a file has errors or cannot be read.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from minerals.smelter_import import SmelterImportError, import_smelters


class Command(BaseCommand):
    help = (
        "Create or update registry smelters from RMI workbooks or facility lists (each file all or nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--by", metavar="USERNAME", help="User recorded as the author of the changes.")

    def handle(self, *args, files, by=None, **options):
        user = None
        if by:
            user = get_user_model()._default_manager.filter(username=by).first()
            if user is None:
                raise CommandError(f"--by: no user named {by!r}")
        failed = 0
        for path in files:
            try:
                with open(path, "rb") as fileobj:
                    result = import_smelters(fileobj=fileobj, filename=path, by=user)
            except SmelterImportError as exc:
                self.stdout.write(str(exc))
                failed += 1
                continue
            except OSError as exc:
                self.stdout.write(f"{path}: {exc.strerror}")
                failed += 1
                continue
            for warning in result.warnings:
                self.stdout.write(f"warning: {warning}")
            for error in result.errors:
                self.stdout.write(str(error))
            if result.ok:
                self.stdout.write(f"{path}: {result.summary}")
            else:
                self.stdout.write(f"{path}: {len(result.errors)} error(s); nothing imported")
                failed += 1
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) not imported", returncode=1)
