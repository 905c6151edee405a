"""Manual risk overrides: a level set by hand with a reason, kept in the supplier's history with who and
when. A hard rule still wins over an override (``evaluation.effective_level``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from common.exceptions import Invalid

from ..models import RiskLevel, Supplier
from .evaluation import effective_level


class OverrideRefused(Invalid):
    """A risk override that cannot be set or cleared (HTTP 400), naming the field at fault."""


@transaction.atomic
def risk_override_set(*, supplier: Supplier, level: str, reason: str, by) -> Supplier:
    """Set a manual risk level with a reason; kept in the supplier's history with who and when."""
    reason = (reason or "").strip()
    if level not in RiskLevel.values:
        raise OverrideRefused(
            f"'{level}' is not a risk level; use one of {', '.join(RiskLevel.values)}.", field="level"
        )
    if not reason:
        raise OverrideRefused("A risk override needs a reason.", field="reason")
    if by is not None and not by.has_perm("suppliers.override_risk"):
        raise OverrideRefused("You may not override risk levels.")
    locked = (
        Supplier.objects.select_for_update(of=("self",)).select_related("risk_assessment").get(pk=supplier.pk)
    )
    locked.risk_override_level = level
    locked.risk_override_reason = reason
    locked.risk_override_by = by
    locked.risk_override_at = timezone.now()
    assessment = locked.risk_assessment
    if assessment is not None:
        locked.risk_level = effective_level(
            level=assessment.level, hard_rules=assessment.hard_rules, override=level
        )
    else:
        locked.risk_level = level
    locked._history_user = by
    locked._change_reason = f"Risk overridden to {level}: {reason}"
    locked.save()
    return locked


@transaction.atomic
def risk_override_clear(*, supplier: Supplier, by, reason: str = "") -> Supplier:
    if by is not None and not by.has_perm("suppliers.override_risk"):
        raise OverrideRefused("You may not override risk levels.")
    locked = (
        Supplier.objects.select_for_update(of=("self",)).select_related("risk_assessment").get(pk=supplier.pk)
    )
    locked.risk_override_level = ""
    locked.risk_override_reason = ""
    locked.risk_override_by = None
    locked.risk_override_at = None
    locked.risk_level = locked.risk_assessment.level if locked.risk_assessment else ""
    locked._history_user = by
    locked._change_reason = f"Risk override removed{': ' + reason.strip() if reason.strip() else ''}"
    locked.save()
    return locked
