"""The errors a service raises when it refuses a change: one vocabulary for every app.

``Invalid``: the input is wrong (HTTP 400); ``Conflict``: the object's state forbids the change (HTTP 409).
Each carries a message a person can act on and, when one input is at fault, its ``field``; ``extra`` holds
anything more the caller should see (e.g. the unmet conditions of the onboarding gate). Apps name their own
errors as subclasses (``audits.services.AuditError``, ``minerals.services.MineralsError``,
``suppliers.lifecycle.TransitionRefused``, ``suppliers.risk.OverrideRefused``), so a caller may catch the
app's error or this one.

The API answers them through ``common.errors.exception_handler`` (``{"detail", "field"}`` and the extras, with
the error's status code); the admin shows ``message`` to the user.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


class Invalid(ApplicationError):
    status_code = 400


class Conflict(ApplicationError):
    status_code = 409
