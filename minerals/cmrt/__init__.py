"""Reading RMI's Conflict Minerals (CMRT) and Extended Minerals (EMRT) Reporting Templates.

``parser`` (``parse_workbook``: template, version, Declaration, Product and Mine Lists), ``smelter_list``
(each Smelter List row resolved against the Look-up), ``lookup`` (the workbook's Smelter Look-up), ``cells``
(cell text and dates), ``layouts`` (cell addresses and answers per template version), ``vocabulary`` (the
templates' translations), ``validation`` (the Checker's rules), ``result`` (what a parse returns), ``cli``.
"""

from .parser import parse_workbook
from .result import Company, Issue, ParseResult, SmelterRow, UnreadableWorkbook

__all__ = ["Company", "Issue", "ParseResult", "SmelterRow", "UnreadableWorkbook", "parse_workbook"]
