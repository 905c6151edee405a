"""How figures are shown: shares in % rounded half up to one decimal, the same in every report and list."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ONE_DECIMAL = Decimal("0.1")


def percent(part: int, whole: int) -> float:
    """``part`` in % of ``whole``, rounded half up to one decimal; 0.0 when there is nothing to count."""
    if not whole:
        return 0.0
    return float((Decimal(part * 100) / Decimal(whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP))
