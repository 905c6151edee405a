"""Why a supplier carries its risk level, in sentences, from its stored assessment."""

from __future__ import annotations

from django.utils import timezone

from ..models import Supplier


def explanation(*, supplier: Supplier) -> list[str]:
    """Why this supplier carries its level, in sentences (for the admin page and the API)."""
    assessment = supplier.risk_assessment
    if assessment is None:
        return ["Not assessed yet."]
    model = assessment.model
    computed = timezone.localtime(assessment.computed_at)
    lines = [
        f"Score {assessment.score} of 100 with risk model v{model.version} on {computed:%Y-%m-%d %H:%M}: "
        f"{assessment.get_score_level_display()} by the score (medium from {model.medium_threshold}, "
        f"high from {model.high_threshold})."
    ]
    lines.extend(
        f"{f['label']}: {f['score']:g} × {f['weight']}% = {f['contribution']:g} ({f['detail']})."
        for f in sorted(assessment.factors, key=lambda f: -f["contribution"])
    )
    lines.extend(f"Hard rule: {rule}." for rule in assessment.hard_rules)
    if supplier.risk_override_level:
        if assessment.hard_rules:
            lines.append(f"Manual override to {supplier.risk_override_level} is set but a hard rule applies.")
        else:
            lines.append(
                f"Manual override to {supplier.risk_override_level}: {supplier.risk_override_reason}"
            )
    return lines
