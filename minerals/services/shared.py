"""What the minerals services share: the refusals (``Invalid`` and ``DeclarationUnreadable`` answer 400) and
the number of rows written per statement.
"""

from __future__ import annotations

from common import exceptions as errors
from common.exceptions import ApplicationError

from ..models import Declaration

WRITE_BATCH = 500

Status = Declaration.Status


class MineralsError(ApplicationError):
    """A refusal of the minerals services (``common.exceptions``)."""


class Invalid(MineralsError, errors.Invalid):
    """The input is wrong (a year out of range, no supplier found...)."""


class DeclarationUnreadable(MineralsError, errors.Invalid):
    """The file is not a CMRT/EMRT workbook that can be read; nothing was saved."""
