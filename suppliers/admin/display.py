"""How the register's admin shows a risk level: a coloured low / medium / high badge."""

from __future__ import annotations

from django.utils.html import format_html

from common.admin import AMBER, GREEN, RED, badge

from ..models import RiskLevel

RISK_COLOURS = {RiskLevel.LOW: GREEN, RiskLevel.MEDIUM: AMBER, RiskLevel.HIGH: RED}


def risk_badge(level: str, *, overridden: bool = False, title: str = "") -> str:
    """A coloured low / medium / high badge; "override" marks a manually set level."""
    if not level:
        return format_html('<span class="risk-badge risk-none">{}</span>', "Not assessed")
    marker = (
        format_html(' <span class="risk-override" title="{}">override</span>', title) if overridden else ""
    )
    return format_html(
        "{}{}",
        badge(RiskLevel(level).label, colours=RISK_COLOURS[level], css=f"risk-badge risk-{level}"),
        marker,
    )
