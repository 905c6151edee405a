"""What a parsed CMRT / EMRT holds: plain dataclasses, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

ERROR = "error"
WARNING = "warning"


class UnreadableWorkbook(Exception):
    """The file cannot be read as a CMRT/EMRT at all: not an xlsx, truncated, too large, wrong sheets."""


@dataclass
class Issue:
    sheet: str
    cell: str
    severity: str  # "error" | "warning"
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{self.severity}: {where}: {self.message}"


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
            "issues": [asdict(issue) for issue in self.issues],
        }
