"""Reading RMI's Conflict Minerals (CMRT) and Extended Minerals (EMRT) Reporting Templates."""

from .parser import parse_workbook
from .result import Company, Issue, ParseResult, SmelterRow, UnreadableWorkbook

__all__ = ["Company", "Issue", "ParseResult", "SmelterRow", "UnreadableWorkbook", "parse_workbook"]
