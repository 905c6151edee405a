"""Import supplier lifecycle history from CSV or XLSX files: ``manage.py import_lifecycle FILE [FILE ...]``.

Each dated step is taken through the onboarding gate on the facts as they were at its date; each file is
imported all or nothing. Prints every error as ``<file>: row R, column C: message`` and ends with
``created N, updated M, errors K``; exits with status 1 when any file has errors or cannot be read.
``--by USERNAME`` records who took the steps (an ESG manager, for admissions and other decisions);
``--template PATH`` writes the template.
"""

from common.importing import ImportCommand
from suppliers.importing.lifecycle import import_lifecycle, template


class Command(ImportCommand):
    help = "Record suppliers' dated lifecycle steps from CSV or XLSX files (each file all or nothing)."
    importer = staticmethod(import_lifecycle)
    template = staticmethod(template)
