"""Reading untrusted office files safely: the one home for zip limits, file-type inspection and table input.

- ``packages``: the zip package, checked from its central directory before anything is decompressed
  (``check_package``, ``open_package``), what an office file is by its content (``inspect_office``,
  ``OfficeInfo``), the words for a file that is not a plain .xlsx / .docx (``OFFICE_REFUSALS``), and
  ``WorkbookRejected``, which every refusal raises, its ``message`` starting with the file name (and sheet).
- ``xlsx``: ``XlsxWorkbook``, the lean reader of an .xlsx's cached cell values, streamed in blocks of rows
  (the CMRT parser and ``read_table`` read through it).
- ``cells``: what a cell holds beyond its XML: shared-string text and the number formats that show dates.
- ``tables``: ``read_table``, the rows of a CSV file or of one sheet of an .xlsx as every importer reads them,
  with the upload's size and row limits checked first.
"""

from .packages import (
    MAX_COMPRESSION_RATIO,
    MAX_PARTS,
    MAX_TOTAL_UNPACKED_BYTES,
    MAX_UNPACKED_BYTES,
    OFFICE_REFUSALS,
    OLE_MAGIC,
    ZIP_MAGIC,
    OfficeInfo,
    WorkbookRejected,
    check_package,
    inspect_office,
    open_package,
)
from .tables import Table, read_table
from .xlsx import XlsxWorkbook, source_name

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_PARTS",
    "MAX_TOTAL_UNPACKED_BYTES",
    "MAX_UNPACKED_BYTES",
    "OFFICE_REFUSALS",
    "OLE_MAGIC",
    "ZIP_MAGIC",
    "OfficeInfo",
    "Table",
    "WorkbookRejected",
    "XlsxWorkbook",
    "check_package",
    "inspect_office",
    "open_package",
    "read_table",
    "source_name",
]
