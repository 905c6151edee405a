"""How the audit programme's admin shows its facts: rectification status and performance band as badges, a
CAP's status with its overdue mark, evidence links and "when, by whom"."""

from __future__ import annotations

from django.utils import timezone
from django.utils.html import format_html

from common.admin import AMBER, BLUE, GREEN, RED, badge

from .. import deadlines
from ..deadlines import RectificationStatus
from ..models import Evidence, Finding, PerformanceBand

RECTIFICATION_COLOURS = {
    RectificationStatus.CLOSED_ON_TIME: GREEN,
    RectificationStatus.CLOSED_LATE: AMBER,
    RectificationStatus.OPEN_WITHIN_DEADLINE: BLUE,
    RectificationStatus.OVERDUE: RED,
}
BAND_COLOURS = {
    PerformanceBand.HIGH: GREEN,
    PerformanceBand.MEDIUM: AMBER,
    PerformanceBand.LOW: RED,
}


def rectification_badge(status: str | None) -> str:
    """Closed on time / closed late / open within deadline / overdue (red); a dash without a deadline."""
    if not status:
        return "—"
    return badge(
        RectificationStatus(status).label,
        colours=RECTIFICATION_COLOURS[status],
        css=f"rectification-badge rectification-{status}",
    )


def band_badge(band: str) -> str:
    if not band:
        return "—"
    return badge(PerformanceBand(band).label, colours=BAND_COLOURS[band], css=f"band-badge band-{band}")


def cap_status_display(finding: Finding) -> str:
    """The CAP's status, marked in red when the plan itself is overdue (``deadlines.is_cap_overdue``)."""
    cap = getattr(finding, "cap", None)
    if cap is None:
        return "—" if not finding.needs_cap else "No plan yet"
    if deadlines.is_cap_overdue(finding=finding, on=timezone.localdate()):
        return format_html(
            "{} {}", cap.get_status_display(), badge("CAP overdue", colours=RED, css="cap-overdue")
        )
    return cap.get_status_display()


def evidence_link(evidence: Evidence) -> str:
    return format_html('<a href="{}">{}</a>', evidence.file.url, evidence.original_name)


def who_when(user, at) -> str:
    if at is None:
        return ""
    when = f"{timezone.localtime(at):%Y-%m-%d %H:%M}"
    return f"{when} by {user}" if user else when
