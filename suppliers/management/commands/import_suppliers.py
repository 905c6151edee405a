"""Import suppliers from CSV or XLSX files: ``manage.py import_suppliers FILE [FILE ...]``.

Each file is imported all or nothing. Prints every error as ``<file>: row R, column C: message`` and ends
with ``created N, updated M, errors K``; exits with status 1 when any file has errors or cannot be read.
``--template PATH`` writes the template (``suppliers.importing.suppliers_template``).
"""

from common.importing import ImportCommand
from suppliers.importing import import_suppliers, suppliers_template


class Command(ImportCommand):
    help = "Create or update suppliers from CSV or XLSX files (each file all or nothing)."
    importer = staticmethod(import_suppliers)
    template = staticmethod(suppliers_template)
