"""Import external assessments (RBA VAP and SAQ, EcoVadis, other ratings) from CSV or XLSX files:
``manage.py import_assessments FILE [FILE ...]``, or ``--template PATH`` for the template. Each file is
imported all or nothing (``suppliers.importing.assessments``)."""

from common.importing import ImportCommand
from suppliers.importing.assessments import assessments_template, import_assessments


class Command(ImportCommand):
    help = (
        "Create or update suppliers' external assessments from CSV or XLSX files (each file all or nothing)."
    )
    importer = staticmethod(import_assessments)
    template = staticmethod(assessments_template)
