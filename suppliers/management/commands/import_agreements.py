"""Import agreements from CSV or XLSX files: ``manage.py import_agreements FILE [FILE ...]``, or
``--template PATH`` for the template. Each file is imported all or nothing
(``suppliers.importing.agreements``)."""

from common.importing import ImportCommand
from suppliers.importing.agreements import agreements_template, import_agreements


class Command(ImportCommand):
    help = "Create or update suppliers' agreements from CSV or XLSX files (each file all or nothing)."
    importer = staticmethod(import_agreements)
    template = staticmethod(agreements_template)
