"""Who may read the ESG report and the dashboard: procurement staff and ESG managers (and superusers).

The roles' existing rights decide: reading suppliers, audits and findings (``suppliers/migrations/0003``,
``audits/migrations/0003``). Auditors and supplier contacts have none of them.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

REPORT_PERMISSIONS = ("suppliers.view_supplier", "audits.view_audit", "audits.view_finding")


def can_view_reports(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perms(REPORT_PERMISSIONS))


class CanViewReports(BasePermission):
    message = "Only procurement staff and ESG managers may read the ESG report."

    def has_permission(self, request, view) -> bool:
        return can_view_reports(request.user)
