"""What a parsed CMRT / EMRT holds: plain dataclasses, no database.

Messages are written once, in English, with named placeholders (``gettext_noop``): ``message`` is the
English text (what the API, the admin and the command line show), and ``text`` with ``params`` let a page
show the same message in its reader's language later (``translated``), also for an issue stored long ago.
Sheet names and cell addresses are placeholders, never part of the text to translate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation (``makemessages`` extracts it) without translating it. Django's own
    needs settings; the parser runs without them."""
    return message


def _render(text: str, params: dict[str, Any]) -> str:
    return text % params


def translated(text: str, params: dict[str, Any] | None, *, fallback: str = "") -> str:
    """``text`` (an English message marked with ``gettext_noop``) in the active language, filled with
    ``params``; ``fallback`` (the English message) when there is no text or the translation does not fit."""
    if not text:
        return fallback
    from django.utils.translation import gettext

    try:
        return _render(gettext(text), params or {})
    except (KeyError, TypeError, ValueError):
        return fallback or _render(text, params or {})


class UnreadableWorkbook(Exception):
    """The file cannot be read as a CMRT/EMRT at all: not an xlsx, truncated, too large, wrong sheets.

    ``str(exc)`` is the English message; ``localized()`` the same in the active language."""

    def __init__(self, text: str, /, **params: Any):
        self.text = text
        self.params = params
        super().__init__(_render(text, params))

    def localized(self) -> str:
        """The message in the active language; a parameter that is a message itself (with ``text`` and
        ``params``) is translated too."""
        params = {
            name: translated(value.text, value.params, fallback=str(value))
            if hasattr(value, "text")
            else value
            for name, value in self.params.items()
        }
        return translated(self.text, params, fallback=str(self))


@dataclass
class Issue:
    sheet: str
    cell: str
    severity: str  # "error" | "warning"
    message: str  # in English
    text: str = field(default="", repr=False, compare=False)  # the message with placeholders
    params: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, sheet: str, cell: str, severity: str, text: str, /, **params: Any) -> Issue:
        """An issue whose message is ``text`` (marked with ``gettext_noop``) filled with ``params`` (plain
        strings and numbers, so that they survive JSON)."""
        return cls(
            sheet=sheet, cell=cell, severity=severity, message=_render(text, params), text=text, params=params
        )

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{self.severity}: {where}: {self.message}"

    def as_stored(self) -> dict[str, Any]:
        """The issue as a declaration stores it: the English message, and what translates it."""
        return {
            "sheet": self.sheet,
            "cell": self.cell,
            "severity": self.severity,
            "message": self.message,
            "text": self.text,
            "params": self.params,
        }


@dataclass
class Company:
    name: str = ""
    scope: str = ""
    scope_description: str = ""
    unique_id: str = ""
    contact_name: str = ""
    contact_email: str = ""
    authorizer: str = ""
    effective_date: dt.date | None = None
    unique_id_authority: str = ""
    address: str = ""
    contact_phone: str = ""
    authorizer_title: str = ""
    authorizer_email: str = ""
    authorizer_phone: str = ""


@dataclass
class SmelterRow:
    row: int
    metal: str  # lower-case English: "tin", "cobalt", ...
    name: str
    country: str
    smelter_id: str  # "CID001234" or ""
    source: str
    recycled: str  # "yes" | "no" | ""
    lookup_name: str = ""  # column C (Smelter Look-up) as given
    street: str = ""
    city: str = ""
    state: str = ""
    contact_name: str = ""
    contact_email: str = ""
    next_steps: str = ""
    mine_name: str = ""
    mine_country: str = ""
    comments: str = ""


@dataclass
class ParseResult:
    template: str  # "CMRT" | "EMRT"
    version: str  # "6.5"
    company: Company = field(default_factory=Company)
    minerals_in_scope: list[str] = field(default_factory=list)
    # {mineral: {"1": "Yes", ...}}; EMRT company question C is asked per mineral and sits here as "C".
    answers: dict[str, dict[str, str]] = field(default_factory=dict)
    # Same keys as ``answers``, plus "company" for comments on questions A-H (B: the policy URL).
    comments: dict[str, dict[str, str]] = field(default_factory=dict)
    company_answers: dict[str, str] = field(default_factory=dict)
    smelters: list[SmelterRow] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    mines: list[dict] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    language: str = ""  # the filler's language selection (Declaration!D3) as given

    @property
    def has_errors(self) -> bool:
        return any(issue.severity == ERROR for issue in self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == WARNING]

    def to_json(self) -> dict:
        company = asdict(self.company)
        company["effective_date"] = (
            self.company.effective_date.isoformat() if self.company.effective_date else None
        )
        return {
            "template": self.template,
            "version": self.version,
            "language": self.language,
            "company": company,
            "minerals_in_scope": list(self.minerals_in_scope),
            "answers": self.answers,
            "comments": self.comments,
            "company_answers": self.company_answers,
            "smelters": [asdict(smelter) for smelter in self.smelters],
            "products": self.products,
            "mines": self.mines,
            "issues": [
                {"sheet": i.sheet, "cell": i.cell, "severity": i.severity, "message": i.message}
                for i in self.issues
            ],
        }


def stored_message(issue: dict[str, Any]) -> str:
    """A stored issue's message in the active language (English for issues stored before messages carried
    their text and params)."""
    return translated(issue.get("text", ""), issue.get("params"), fallback=issue.get("message", ""))
