"""Query-string filters the API's lists share.

Ids and other whole numbers in the query string are checked before they reach the database: a number beyond
the 64-bit range of the id columns cannot match anything, and SQLite refuses to bind it (a server error
before). ``IdFilter`` and ``IntegerFilter`` answer 400 naming the parameter for anything that is not a whole
number in range; every integer filter of the API uses one of them (``tests/test_api_errors.py`` checks).
"""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1


class _BoundedIntegerField(forms.IntegerField):
    def __init__(self, *, min_value: int, max_value: int, **kwargs):
        message = f"Give a whole number from {min_value} to {max_value}."
        super().__init__(
            min_value=min_value,
            max_value=max_value,
            error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), message),
            **kwargs,
        )


@extend_schema_field({"type": "integer", "format": "int64", "minimum": BIGINT_MIN, "maximum": BIGINT_MAX})
class IntegerFilter(django_filters.NumberFilter):
    """A whole number within the database's integer range."""

    field_class = _BoundedIntegerField
    min_value = BIGINT_MIN

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", self.min_value)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": BIGINT_MAX})
class IdFilter(IntegerFilter):
    """The id of a record: a whole number from 1."""

    min_value = 1
