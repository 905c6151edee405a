"""Import audits and their findings from workbooks: ``manage.py import_audits FILE [FILE ...]``.

Each file (sheets Audits and Findings) is imported all or nothing. Prints every error as
``<file>: row R, column <sheet>: <column>: message`` and ends with ``created N, updated M, errors K``; exits
with status 1 when any file has errors or cannot be read. ``--template PATH`` writes the template.
"""

from audits.importing import import_audits, import_template
from common.importing import ImportCommand


class Command(ImportCommand):
    help = "Create or update audits and their findings from .xlsx workbooks (each file all or nothing)."
    importer = staticmethod(import_audits)
    template = staticmethod(import_template)
