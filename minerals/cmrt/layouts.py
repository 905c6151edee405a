"""Where each template version keeps its data: cell maps taken from RMI's official blank templates.

Labels in a filled template are in whatever language the filler chose, so nothing here is located by header
text: every field has a fixed address per template version. Answer options are the English values of the
templates' drop-down lists (answers are stored in English whatever the language selection).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .result import gettext_noop

CMRT_MINERALS = ("tantalum", "tin", "gold", "tungsten")  # order of the per-metal rows on the Declaration
EMRT1_MINERALS = ("cobalt", "mica")
EMRT2_MINERALS = (
    "cobalt",
    "copper",
    "graphite",
    "lithium",
    "mica",
    "nickel",
)  # alphabetical, as sorted there
ALL_MINERALS = CMRT_MINERALS + EMRT2_MINERALS

YES_NO = ("Yes", "No")
YES_NO_UNKNOWN = ("Yes", "No", "Unknown")
PERCENT = ("100%", "Greater than 90%", "Greater than 75%", "Greater than 50%", "50% or less", "None")
CMRT_FORMAT = ("Yes, in conformance with IPC1755 (e.g., CMRT)", "Yes, using other format (describe)", "No")
EMRT_FORMAT = ("Yes, in conformance with IPC1755 (e.g. EMRT)", "Yes, Using Other Format (Describe)", "No")
FILING = ("Yes, with the SEC", "Yes, with the EU", "Yes, with the SEC and the EU", "No")
PROCESSORS = ("Yes", "Yes, when more processors are validated", "No")

SCOPES = (
    "A. Company",
    "B. Product (or List of Products)",
    "C. User defined [Specify in 'Description of scope']",
)
PRODUCT_SCOPE = SCOPES[1]
USER_DEFINED_SCOPE = SCOPES[2]

RECYCLED = {"yes": "yes", "no": "no", "unknown": ""}
SMELTER_NOT_LISTED = "smelter not listed"
SMELTER_NOT_IDENTIFIED = "smelter not yet identified"


@dataclass(frozen=True)
class Question:
    key: str  # "1".."8" per mineral; "A".."H" at company level
    row: int  # answer row (per-mineral questions: the first mineral's row)
    options: tuple[str, ...]
    per_mineral_options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    only_minerals: tuple[str, ...] = ()  # asked for these minerals only (empty: all)

    def options_for(self, mineral: str | None) -> tuple[str, ...]:
        return self.per_mineral_options.get(mineral or "", self.options)

    def asks(self, mineral: str) -> bool:
        return not self.only_minerals or mineral in self.only_minerals


@dataclass(frozen=True)
class Layout:
    template: str
    series: str  # "6.x", "1.x", "2.0", "2.1"
    checked_versions: tuple[str, ...]
    company_cells: dict[str, str]
    required_company: tuple[str, ...]
    minerals: tuple[str, ...]
    questions: tuple[Question, ...]
    company_questions: tuple[Question, ...]
    mineral_company_questions: tuple[Question, ...] = ()  # company question C, one row per mineral (EMRT)
    mineral_selection: tuple[tuple[str, str], ...] = ()  # EMRT 2.x: (cell, mineral) of "minerals in scope"
    block_rows: int = 0  # EMRT 2.x: rows per question block, filled with the selected minerals in order
    not_in_scope_answer: str = ""  # EMRT 1.x: Q1 answer that takes a mineral out of scope
    policy_question: str = "B"  # its comment cell holds the policy URL
    answer_column: str = "D"
    comment_column: str = "G"
    declaration_last_row: int = 140
    smelter_first_row: int = 5
    product_first_row: int = 6
    product_columns: dict[str, str] = field(
        default_factory=lambda: {"number": "B", "name": "C", "comments": "D"}
    )
    has_mine_list: bool = False

    @property
    def effective_date_cell(self) -> str:
        return self.company_cells["effective_date"]

    def mineral_rows(self, question: Question, in_order: list[str]) -> dict[str, int]:
        """Answer row of ``question`` for each mineral it asks about."""
        order = in_order if self.block_rows else list(self.minerals)
        return {
            mineral: question.row + index
            for index, mineral in enumerate(order)
            if question.asks(mineral) and (not self.block_rows or index < self.block_rows)
        }


_CMRT_COMPANY = {
    "name": "D8",
    "scope": "D9",
    "scope_description": "D10",
    "unique_id": "D12",
    "unique_id_authority": "D13",
    "address": "D14",
    "contact_name": "D15",
    "contact_email": "D16",
    "contact_phone": "D17",
    "authorizer": "D18",
    "authorizer_title": "D19",
    "authorizer_email": "D20",
    "authorizer_phone": "D21",
    "effective_date": "D22",
}
_REQUIRED = (
    "name",
    "scope",
    "contact_name",
    "contact_email",
    "contact_phone",
    "authorizer",
    "authorizer_email",
    "effective_date",
)

CMRT_6 = Layout(
    template="CMRT",
    series="6.x",
    checked_versions=("6.01", "6.22", "6.31", "6.4", "6.5"),
    company_cells=_CMRT_COMPANY,
    required_company=_REQUIRED,
    minerals=CMRT_MINERALS,
    questions=(
        Question("1", 26, YES_NO),
        Question("2", 32, YES_NO),
        Question("3", 38, YES_NO_UNKNOWN),
        Question("4", 44, YES_NO_UNKNOWN),
        Question("5", 50, YES_NO_UNKNOWN),
        Question("6", 56, PERCENT),
        Question("7", 62, YES_NO),
        Question("8", 68, YES_NO),
    ),
    company_questions=(
        Question("A", 75, YES_NO),
        Question("B", 77, YES_NO),
        Question("C", 79, YES_NO),
        Question("D", 81, YES_NO),
        Question("E", 83, CMRT_FORMAT),
        Question("F", 85, YES_NO),
        Question("G", 87, YES_NO),
        Question("H", 89, FILING),
    ),
    declaration_last_row=90,
)

EMRT_1 = Layout(
    template="EMRT",
    series="1.x",
    checked_versions=("1.3",),
    company_cells=_CMRT_COMPANY,
    required_company=_REQUIRED,
    minerals=EMRT1_MINERALS,
    questions=(
        Question("1", 26, (*YES_NO_UNKNOWN, "Not applicable for this declaration")),
        Question("2", 32, YES_NO_UNKNOWN),
        Question(
            "3",
            38,
            YES_NO_UNKNOWN,
            per_mineral_options={
                "cobalt": (*YES_NO_UNKNOWN, "DRC only"),
                "mica": (*YES_NO_UNKNOWN, "India and/or Madagascar only"),
            },
        ),
        Question("4", 44, YES_NO_UNKNOWN, only_minerals=("cobalt",)),
        Question("5", 50, PERCENT),
        Question("6", 56, YES_NO_UNKNOWN),
        Question("7", 62, YES_NO_UNKNOWN),
    ),
    company_questions=(
        Question("A", 69, YES_NO),
        Question("B", 71, YES_NO),
        Question("D", 77, YES_NO),
        Question("E", 79, EMRT_FORMAT),
        Question("F", 81, YES_NO),
        Question("G", 83, YES_NO),
    ),
    mineral_company_questions=(Question("C", 74, YES_NO, per_mineral_options={"mica": PROCESSORS}),),
    not_in_scope_answer="Not applicable for this declaration",
    declaration_last_row=84,
)

_EMRT2_COMPANY = {
    "name": "D8",
    "scope": "D9",
    "scope_description": "D10",
    "unique_id": "D16",
    "unique_id_authority": "D17",
    "address": "D18",
    "contact_name": "D19",
    "contact_email": "D20",
    "contact_phone": "D21",
    "authorizer": "D22",
    "authorizer_title": "D23",
    "authorizer_email": "D24",
    "authorizer_phone": "D25",
    "effective_date": "D26",
}

EMRT_2_0 = Layout(
    template="EMRT",
    series="2.0",
    checked_versions=("2.0",),
    company_cells=_EMRT2_COMPANY,
    required_company=_REQUIRED,
    minerals=EMRT2_MINERALS,
    mineral_selection=(
        ("D12", "cobalt"),
        ("E12", "copper"),
        ("G12", "graphite"),
        ("D13", "lithium"),
        ("E13", "mica"),
        ("G13", "nickel"),
    ),
    block_rows=10,
    questions=(
        Question("1", 30, (*YES_NO_UNKNOWN, "Not declaring")),
        Question("2", 42, YES_NO_UNKNOWN),
        Question("3", 54, YES_NO_UNKNOWN),
        Question("4", 66, YES_NO_UNKNOWN),
        Question("5", 78, (*PERCENT, "Did not survey")),
        Question("6", 90, YES_NO_UNKNOWN),
        Question("7", 102, YES_NO_UNKNOWN),
    ),
    company_questions=(
        Question("A", 115, YES_NO),
        Question("B", 117, YES_NO),
        Question("D", 131, YES_NO),
        Question("E", 133, EMRT_FORMAT),
        Question("F", 135, YES_NO),
        Question("G", 137, YES_NO),
    ),
    mineral_company_questions=(Question("C", 120, PROCESSORS),),
    declaration_last_row=138,
    has_mine_list=True,
)

EMRT_2_1 = Layout(
    **{
        **EMRT_2_0.__dict__,
        "series": "2.1",
        "checked_versions": ("2.1",),
        "product_columns": {
            "number": "B",
            "name": "C",
            "requester_number": "D",
            "requester_name": "E",
            "comments": "F",
        },
    }
)

LAYOUTS = (CMRT_6, EMRT_1, EMRT_2_0, EMRT_2_1)


@dataclass(frozen=True)
class Note:
    """Why a version has no cell map, or was read with another version's: a message with placeholders."""

    text: str
    params: dict[str, str]

    @property
    def message(self) -> str:
        return self.text % self.params

    def __str__(self) -> str:
        return self.message


def layout_for(template: str, version: str) -> tuple[Layout | None, Note | None]:
    """The cell map for ``template`` ``version`` and, when the version was not checked, a note saying so."""
    try:
        major, minor = (int(part) for part in version.split(".", 1))
    except ValueError:
        return None, Note(gettext_noop("revision %(version)r is not a version number"), {"version": version})
    if template == "CMRT" and major == 6:
        layout = CMRT_6
    elif template == "EMRT" and major == 1:
        layout = EMRT_1
    elif template == "EMRT" and major == 2:
        layout = EMRT_2_0 if (major, minor) <= (2, 0) else EMRT_2_1
    else:
        return None, Note(
            gettext_noop(
                "%(template)s revision %(version)s is not supported (supported: CMRT 6.x, EMRT 1.x and 2.x)"
            ),
            {"template": template, "version": version},
        )
    note = None
    if version not in layout.checked_versions:
        note = Note(
            gettext_noop(
                "%(template)s revision %(version)s was read with the cell map of revision %(checked)s; "
                "check the result against the file"
            ),
            {"template": template, "version": version, "checked": layout.checked_versions[-1]},
        )
    return layout, note
