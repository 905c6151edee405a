"""What an import reports: ``ImportResult`` (counts and row errors), ``RowError`` (row, column, message) and
``ImportFileError`` for a file that cannot be read at all; every importer's (``common.importing``)."""

from common.importing import ImportFileError, ImportResult, RowError

__all__ = ["ImportFileError", "ImportResult", "RowError"]
