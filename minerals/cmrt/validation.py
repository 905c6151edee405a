"""Checks in the spirit of RMI's Checker sheet, run on a parsed CMRT / EMRT.

Errors are what the Checker counts as required fields left incomplete, or values the template would not
accept; warnings are what a reviewer should look at (stale dates, unknown or duplicate smelters).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from . import layouts
from .layouts import Layout
from .result import ERROR, WARNING, Issue, ParseResult, gettext_noop
from .vocabulary import key

if TYPE_CHECKING:
    from .lookup import SmelterLookup

EARLIEST_DATE = dt.date(2006, 12, 31)  # the templates' own date validation (serial 39082)
STALE_AFTER = dt.timedelta(days=365)

# One message per required company field, so that each translates whole.
COMPANY_REQUIRED = {
    "name": gettext_noop("Company name (*) is required"),
    "scope": gettext_noop("Declaration scope (*) is required"),
    "scope_description": gettext_noop("Description of scope (*) is required"),
    "contact_name": gettext_noop("Contact name (*) is required"),
    "contact_email": gettext_noop("Contact email (*) is required"),
    "contact_phone": gettext_noop("Contact phone (*) is required"),
    "authorizer": gettext_noop("Authorizer (*) is required"),
    "authorizer_email": gettext_noop("Authorizer email (*) is required"),
    "effective_date": gettext_noop("Effective date (*) is required"),
}
DECLARATION = "Declaration"
SMELTER_LIST = "Smelter List"


def check(
    result: ParseResult, *, layout: Layout, lookup: SmelterLookup, known_ids: set[str], today: dt.date
) -> None:
    """Append the Checker-style issues of ``result`` to ``result.issues``."""
    issues = result.issues
    reported = {(issue.sheet, issue.cell) for issue in issues}

    def add(sheet: str, cell: str, severity: str, text: str, /, **params) -> None:
        issues.append(Issue.of(sheet, cell, severity, text, **params))

    _company(result, layout, today, add, reported)
    used = _questions(result, layout, add, reported)
    _company_questions(result, layout, used, add, reported)
    if result.company.scope == layouts.PRODUCT_SCOPE and not result.products:
        add(
            "Product List",
            f"B{layout.product_first_row}",
            ERROR,
            gettext_noop("the declaration scope is %(scope)r but no product is listed"),
            scope=layouts.PRODUCT_SCOPE,
        )
    for product in result.products:
        if not product.get("number"):
            add("Product List", f"B{product['row']}", ERROR, gettext_noop("product number is missing"))
    _smelters(result, layout, lookup, known_ids, used, add)
    for mine in result.mines:
        for field_name, column, message in (
            ("smelter_name", "B", gettext_noop("smelter name is missing")),
            ("name", "C", gettext_noop("mine name is missing")),
        ):
            if not mine.get(field_name):
                add("Mine List", f"{column}{mine['row']}", ERROR, message)


def _company(result: ParseResult, layout: Layout, today: dt.date, add, reported) -> None:
    company = result.company
    cells = layout.company_cells
    required = list(layout.required_company)
    if company.scope == layouts.USER_DEFINED_SCOPE:
        required.append("scope_description")
    for field_name in required:
        cell = cells[field_name]
        if (DECLARATION, cell) in reported:
            continue
        if getattr(company, field_name) in ("", None):
            add(DECLARATION, cell, ERROR, COMPANY_REQUIRED[field_name])
    for field_name in ("contact_email", "authorizer_email"):
        value = getattr(company, field_name)
        if value and "@" not in value:
            add(
                DECLARATION,
                cells[field_name],
                ERROR,
                gettext_noop("%(value)r is not an email address"),
                value=value,
            )
    date = company.effective_date
    cell = cells["effective_date"]
    if date is not None:
        if date < EARLIEST_DATE:
            add(
                DECLARATION,
                cell,
                ERROR,
                gettext_noop("effective date %(date)s is before %(earliest)s"),
                date=date.isoformat(),
                earliest=EARLIEST_DATE.isoformat(),
            )
        elif date > today:
            add(
                DECLARATION,
                cell,
                ERROR,
                gettext_noop("effective date %(date)s is in the future"),
                date=date.isoformat(),
            )
        elif today - date > STALE_AFTER:
            add(
                DECLARATION,
                cell,
                WARNING,
                gettext_noop(
                    "effective date %(date)s is more than a year old; ask for a current declaration"
                ),
                date=date.isoformat(),
            )
    if layout.mineral_selection and not result.minerals_in_scope:
        first = layout.mineral_selection[0][0]
        if (DECLARATION, first) not in reported:
            add(DECLARATION, first, ERROR, gettext_noop("no mineral is selected as in scope (*)"))


def _questions(result: ParseResult, layout: Layout, add, reported) -> list[str]:
    """Report unanswered required questions; return the minerals declared in use (questions 1 and 2 Yes)."""
    order = sorted(result.minerals_in_scope) if layout.block_rows else list(layout.minerals)
    rows = {question.key: layout.mineral_rows(question, order) for question in layout.questions}
    used = []
    for mineral in result.minerals_in_scope:
        answers = result.answers.get(mineral, {})
        required = ["1"]
        if answers.get("1") == "Yes":
            required.append("2")
            if answers.get("2") == "Yes":
                used.append(mineral)
                required += [q.key for q in layout.questions[2:]]
        for question in layout.questions:
            row = rows[question.key].get(mineral)
            if question.key not in required or row is None or answers.get(question.key):
                continue
            cell = f"{layout.answer_column}{row}"
            if (DECLARATION, cell) not in reported:
                add(
                    DECLARATION,
                    cell,
                    ERROR,
                    gettext_noop("question %(question)s for %(mineral)s (*) is not answered"),
                    question=question.key,
                    mineral=mineral,
                )
    return used


def _company_questions(result: ParseResult, layout: Layout, used: list[str], add, reported) -> None:
    if not used:
        return
    for question in layout.company_questions:
        cell = f"{layout.answer_column}{question.row}"
        if not result.company_answers.get(question.key) and (DECLARATION, cell) not in reported:
            add(
                DECLARATION,
                cell,
                ERROR,
                gettext_noop("company question %(question)s (*) is not answered"),
                question=question.key,
            )
    order = sorted(result.minerals_in_scope) if layout.block_rows else list(layout.minerals)
    for question in layout.mineral_company_questions:
        for mineral, row in layout.mineral_rows(question, order).items():
            cell = f"{layout.answer_column}{row}"
            answered = result.answers.get(mineral, {}).get(question.key)
            if mineral in used and not answered and (DECLARATION, cell) not in reported:
                add(
                    DECLARATION,
                    cell,
                    ERROR,
                    gettext_noop("company question %(question)s for %(mineral)s is not answered"),
                    question=question.key,
                    mineral=mineral,
                )
    policy = next((q for q in layout.company_questions if q.key == layout.policy_question), None)
    policy_public = policy is not None and result.company_answers.get(policy.key) == "Yes"
    if policy_public and not result.comments.get("company", {}).get(policy.key):
        add(
            DECLARATION,
            f"{layout.comment_column}{policy.row}",
            ERROR,
            gettext_noop(
                "question %(question)s is answered Yes: give the policy's web address in the comment"
            ),
            question=policy.key,
        )


def _smelters(result: ParseResult, layout: Layout, lookup, known_ids: set[str], used: list[str], add) -> None:
    seen: dict[tuple, int] = {}
    not_listed = ("smelternotlisted",)
    for smelter in result.smelters:
        row = smelter.row
        if not smelter.metal:
            add(SMELTER_LIST, f"B{row}", ERROR, gettext_noop("metal (*) is missing"))
        elif smelter.metal not in layout.minerals:
            add(
                SMELTER_LIST,
                f"B{row}",
                ERROR,
                gettext_noop("%(mineral)s is not reported on the %(template)s"),
                mineral=smelter.metal,
                template=layout.template,
            )
        elif layout.mineral_selection and smelter.metal not in result.minerals_in_scope:
            add(
                SMELTER_LIST,
                f"B{row}",
                WARNING,
                gettext_noop("%(mineral)s is not selected as in scope on the %(sheet)s (%(cells)s)"),
                mineral=smelter.metal,
                sheet=DECLARATION,
                cells="D12:G13",
            )
        lookup_key = key(smelter.lookup_name)
        if lookup_key in not_listed:
            if not smelter.name:
                add(
                    SMELTER_LIST,
                    f"D{row}",
                    ERROR,
                    gettext_noop("'Smelter not listed' needs the smelter's name in column %(column)s"),
                    column="D",
                )
            if not smelter.country:
                add(
                    SMELTER_LIST,
                    f"E{row}",
                    ERROR,
                    gettext_noop("'Smelter not listed' needs the smelter's country in column %(column)s"),
                    column="E",
                )
        elif not smelter.smelter_id and lookup_key != "smelternotyetidentified":
            if smelter.lookup_name:
                if smelter.metal:
                    add(
                        SMELTER_LIST,
                        f"C{row}",
                        WARNING,
                        gettext_noop(
                            "%(value)r is not a %(mineral)s smelter in the %(sheet)s "
                            "and the row has no smelter ID"
                        ),
                        value=smelter.lookup_name,
                        mineral=smelter.metal,
                        sheet="Smelter Look-up",
                    )
                else:
                    add(
                        SMELTER_LIST,
                        f"C{row}",
                        WARNING,
                        gettext_noop(
                            "%(value)r is not a known smelter in the %(sheet)s and the row has no smelter ID"
                        ),
                        value=smelter.lookup_name,
                        sheet="Smelter Look-up",
                    )
            elif not smelter.name:
                add(
                    SMELTER_LIST,
                    f"C{row}",
                    ERROR,
                    gettext_noop("smelter look-up (*) is missing and no smelter ID is given"),
                )
            else:
                add(
                    SMELTER_LIST,
                    f"A{row}",
                    WARNING,
                    gettext_noop("%(value)r has no smelter ID"),
                    value=smelter.name,
                )
        if smelter.smelter_id:
            identity = (smelter.metal, smelter.smelter_id)
        elif smelter.name:
            identity = (smelter.metal, key(smelter.name), key(smelter.country))
        else:
            identity = None
        if identity is not None:
            if identity in seen:
                label = smelter.smelter_id or smelter.name
                add(
                    SMELTER_LIST,
                    f"A{row}",
                    WARNING,
                    gettext_noop("%(smelter)s (%(mineral)s) is listed again; first in row %(row)s"),
                    smelter=label,
                    mineral=smelter.metal,
                    row=seen[identity],
                )
            else:
                seen[identity] = row
    metals = {smelter.metal for smelter in result.smelters}
    for mineral in used:
        if mineral not in metals:
            add(
                SMELTER_LIST,
                f"B{layout.smelter_first_row}",
                ERROR,
                gettext_noop(
                    "%(mineral)s is declared in use (questions 1 and 2 answered Yes) "
                    "but no %(mineral)s smelter is listed"
                ),
                mineral=mineral,
            )
