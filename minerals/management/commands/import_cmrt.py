"""Import one supplier's CMRT or EMRT file: ``manage.py import_cmrt FILE --supplier CODE --year YYYY``.

Prints the declaration's status, the issues the parser found (``sheet!cell severity: message``) and how its
smelters matched the registry. Exit status: 0 accepted, 1 rejected (the file has errors; it is kept with its
issues) or refused, 2 when the file cannot be read as a CMRT/EMRT workbook (nothing is saved).
"""

import os
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from common.files import UploadRejected
from minerals import services
from minerals.models import Declaration
from suppliers.models import Supplier


class Command(BaseCommand):
    help = "Import a supplier's CMRT/EMRT workbook as its declaration for a reporting year."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--supplier", required=True, metavar="CODE", help="Supplier code.")
        parser.add_argument("--year", required=True, type=int, metavar="YYYY", help="Reporting year.")
        parser.add_argument("--by", metavar="USERNAME", help="User recorded as the uploader.")

    def handle(self, *args, file, supplier, year, by=None, **options):
        found = Supplier.objects.filter(code=supplier).first()
        if found is None:
            raise CommandError(f"--supplier: no supplier has the code {supplier!r}", returncode=1)
        user = None
        if by:
            user = get_user_model()._default_manager.filter(username=by).first()
            if user is None:
                raise CommandError(f"--by: no user named {by!r}", returncode=1)
        try:
            with open(file, "rb") as fileobj:
                declaration = services.declaration_import(
                    supplier=found, year=year, upload=File(fileobj, name=os.path.basename(file)), by=user
                )
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}", returncode=2) from exc
        except (services.DeclarationUnreadable, UploadRejected) as exc:
            raise CommandError(exc.message, returncode=2) from exc
        except services.Invalid as exc:
            raise CommandError(exc.message, returncode=1) from exc
        for issue in declaration.issues:
            self.stdout.write(f"{issue['sheet']}!{issue['cell']} {issue['severity']}: {issue['message']}")
        methods = Counter(declaration.smelters.values_list("match_method", flat=True))
        matched = ", ".join(f"{method} {count}" for method, count in sorted(methods.items())) or "none"
        self.stdout.write(
            f"{declaration.filename}: {declaration.family} {declaration.version} of {found.code} for "
            f"{year}: {declaration.get_status_display()}; {sum(methods.values())} smelters ({matched})"
        )
        if declaration.status == Declaration.Status.REJECTED:
            raise CommandError(
                f"{declaration.error_count} error(s): the declaration is kept as rejected", returncode=1
            )
