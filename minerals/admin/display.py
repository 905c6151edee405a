"""How the minerals admin shows a status: an RMAP status or a declaration's status as a coloured badge."""

from __future__ import annotations

from common.admin import AMBER, GREEN, GREY, RED, badge

from ..models import Declaration, RmapStatus

STATUS_COLOURS = {
    RmapStatus.CONFORMANT: GREEN,
    RmapStatus.ACTIVE: AMBER,
    RmapStatus.NOT_ENROLLED: RED,
    Declaration.Status.ACCEPTED: GREEN,
    Declaration.Status.REJECTED: RED,
    Declaration.Status.SUPERSEDED: GREY,
}


def status_badge(value: str, label: str) -> str:
    return badge(label, colours=STATUS_COLOURS.get(value, GREY), css=f"status-badge status-{value}")
