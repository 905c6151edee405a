"""Change reasons of history records fit their column.

django-simple-history stores each record's change reason in a 100-character column, and the reasons we give
it often carry what a person typed (a risk override's reason, a rejection note, a file name). A longer one
would fail on PostgreSQL (and be kept whole on SQLite). Every history record saved one at a time passes
through ``fit_history_change_reason`` (connected in ``common.apps``), which shortens the reason to the column
with an ellipsis; the whole text stays on the record it belongs to (``Supplier.risk_override_reason``, the
status transition's reason, the plan's review note...). Bulk writers (``bulk_create_with_history``) bypass
signals: they pass their reason through ``fit_change_reason`` themselves.
"""

from __future__ import annotations

ELLIPSIS = "…"
CHANGE_REASON_MAX_LENGTH = 100  # django-simple-history's history_change_reason column


def fit_change_reason(reason: str | None, *, max_length: int = CHANGE_REASON_MAX_LENGTH) -> str | None:
    """``reason`` as it is when it fits, else cut to ``max_length`` characters ending in an ellipsis."""
    if reason is None or len(reason) <= max_length:
        return reason
    return reason[: max_length - len(ELLIPSIS)].rstrip() + ELLIPSIS


def fit_history_change_reason(sender, history_instance, **kwargs) -> None:
    """``pre_create_historical_record`` receiver: shorten the record's reason to its column, if it has a
    limit (a project may widen it to a text column)."""
    max_length = sender._meta.get_field("history_change_reason").max_length
    if max_length:
        history_instance.history_change_reason = fit_change_reason(
            history_instance.history_change_reason, max_length=max_length
        )
