"""Reading one value of a record file (or of a sync API body) from its text: dates, scores, a choice given by
its value or its label, and free text with the model's length limit. Each reader answers the value, or raises
``Problem`` with a message a person can act on (the caller names the row and column, or the API field).
``import_reason``: the history's change reason of a record written from a file."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal, InvalidOperation

from django.db import models

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")


class Problem(Exception):
    """A value that cannot be read; ``str()`` is the message."""


def date_value(text: str) -> dt.date | None:
    """An ISO date (``2024-03-01``; Excel date cells arrive as such); empty text is None."""
    text = text.strip()
    if not text:
        return None
    match = _ISO_DATE.match(text)
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise Problem(f"{text!r} is not a date (YYYY-MM-DD)")


def decimal_value(text: str, *, field: models.DecimalField) -> Decimal | None:
    """A non-negative number that fits ``field`` (its decimal places and digits); empty text is None."""
    text = text.strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise Problem(f"{text!r} is not a number") from None
    if not number.is_finite():
        raise Problem(f"{text!r} is not a number")
    if number < 0:
        raise Problem(f"must not be negative, not {text}")
    integer_digits = field.max_digits - field.decimal_places
    if number >= Decimal(10) ** integer_digits:
        raise Problem(f"too large: at most {integer_digits} digits before the decimal point, not {text}")
    places = Decimal(1).scaleb(-field.decimal_places)
    if number != number.quantize(places):
        raise Problem(f"at most {field.decimal_places} decimal place(s), not {text}")
    return number.quantize(places)


def choice_value(text: str, *, choices: type[models.TextChoices]) -> str:
    """A choice by its value or its (English) label, case- and space-insensitively; "RBA VAP" finds
    ``rba_vap`` too."""

    def key(value: str) -> str:
        return re.sub(r"[\s\-_/()]+", " ", value.lower()).strip()

    wanted = key(text)
    for value, label in choices.choices:
        if wanted in (key(value), key(str(label))):
            return value
    allowed = ", ".join(choices.values)
    raise Problem(f"must be one of {allowed} (or their labels), not {text!r}")


def text_value(text: str, *, field: models.CharField) -> str:
    """Free text within the field's length."""
    text = " ".join(text.split())
    if field.max_length and len(text) > field.max_length:
        raise Problem(f"too long: at most {field.max_length} characters, not {len(text)}")
    return text


def import_reason(filename: str, row: int) -> str:
    """The history's change reason (at most 100 characters): "Imported from agreements.xlsx row 7"."""
    name = os.path.basename(filename) or filename
    tail = f" row {row}"
    room = 100 - len("Imported from ") - len(tail)
    if len(name) > room:
        name = "…" + name[-(room - 1) :]
    return f"Imported from {name}{tail}"
