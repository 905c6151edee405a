"""Who sees what in the audit programme's API, and who may do what to what they see.

Scope (objects outside it are absent from the queryset, so they answer 404, never 403):
- ESG managers and procurement (``audits.view_audit``): every audit and finding; procurement only reads.
- An auditor (a user with an ``audits.Auditor`` row): the audits assigned to their agency, and their findings.
- A supplier contact (in the "Supplier contact" group and linked by ``suppliers.Contact.user``): the findings
  of their own supplier's audits once the report is accepted (accepted or closed), and those audits,
  read-only. Of a finding's evidence they see what the supplier side added (rectification and progress
  evidence), not the auditor's evidence (interview notes and photos may identify workers).
- Anyone else: nothing.

Within scope, writes need the right role (403 otherwise): the agency's auditors record the audit (dates,
score, findings, evidence, report, submission); supplier contacts carry out the corrective action (CAP,
progress, extension requests, rectification evidence); ESG managers decide (accept or return reports,
review CAPs, verify closures, decide extensions), each decision behind its Django permission.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

from audits.models import Audit, Auditor, Evidence, ExtensionRequest, Finding
from suppliers import roles

VIEW_ALL = "audits.view_audit"
ACCEPT_AUDIT = "audits.accept_audit"
REVIEW_CAP = "audits.change_correctiveactionplan"
VERIFY_CLOSURE = "audits.add_closureverification"
DECIDE_EXTENSION = "audits.change_extensionrequest"

# Audits whose findings a supplier contact works on: the report has been accepted.
ISSUED = (Audit.Status.ACCEPTED, Audit.Status.CLOSED)
SUPPLIER_EVIDENCE = (Evidence.Purpose.RECTIFICATION, Evidence.Purpose.PROGRESS)


def auditor_of(user) -> Auditor | None:
    """The user's auditor record (their agency), or None."""
    if not user.is_authenticated:
        return None
    try:
        return user.auditor
    except Auditor.DoesNotExist:
        return None


def is_supplier_contact(user) -> bool:
    return roles.has_role(user, roles.SUPPLIER_CONTACT)


def audits_visible_to(*, user) -> QuerySet[Audit]:
    audits = Audit.objects.all()
    if not user.is_authenticated:
        return audits.none()
    if user.has_perm(VIEW_ALL):
        return audits
    if auditor_of(user) is not None:
        return audits.for_agency_of(user)
    if is_supplier_contact(user):
        return audits.filter(supplier__contacts__user=user, status__in=ISSUED)
    return audits.none()


def findings_visible_to(*, user) -> QuerySet[Finding]:
    findings = Finding.objects.all()
    if not user.is_authenticated:
        return findings.none()
    if user.has_perm(VIEW_ALL):
        return findings
    if auditor_of(user) is not None:
        return findings.for_agency_of(user)
    if is_supplier_contact(user):
        return findings.for_supplier_contact(user).filter(audit__status__in=ISSUED)
    return findings.none()


def extensions_visible_to(*, user) -> QuerySet[ExtensionRequest]:
    return ExtensionRequest.objects.filter(finding__in=findings_visible_to(user=user))


def evidence_visible_to(*, user, finding: Finding) -> QuerySet[Evidence]:
    evidence = finding.evidence.all()
    if user.has_perm(VIEW_ALL) or auditor_of(user) is not None:
        return evidence
    return evidence.filter(purpose__in=SUPPLIER_EVIDENCE)


def _audit_of(obj) -> Audit:
    if isinstance(obj, Audit):
        return obj
    if isinstance(obj, Finding):
        return obj.audit
    if isinstance(obj, ExtensionRequest):
        return obj.finding.audit
    raise TypeError(f"No audit for {type(obj).__name__}")


def is_agency_auditor(user, obj) -> bool:
    auditor = auditor_of(user)
    return auditor is not None and auditor.agency_id == _audit_of(obj).agency_id


def is_contact_of_supplier(user, obj) -> bool:
    if not is_supplier_contact(user):
        return False
    audit = _audit_of(obj)
    return audit.supplier.contacts.filter(user=user).exists()


class _ObjectRule(BasePermission):
    """Reads pass (the queryset already scoped them); writes must satisfy ``allows``."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return self.allows(request.user, obj)

    def allows(self, user, obj) -> bool:
        raise NotImplementedError


class AgencyWork(_ObjectRule):
    message = "Only auditors of the agency assigned to this audit may record it."

    def allows(self, user, obj) -> bool:
        return is_agency_auditor(user, obj)


class SupplierWork(_ObjectRule):
    message = "Only the supplier's contacts may carry out corrective action on this finding."

    def allows(self, user, obj) -> bool:
        return is_contact_of_supplier(user, obj)


class AgencyOrSupplierWork(_ObjectRule):
    message = "Only the agency's auditors or the supplier's contacts may add evidence to this finding."

    def allows(self, user, obj) -> bool:
        return is_agency_auditor(user, obj) or is_contact_of_supplier(user, obj)


class _RequiresPermission(_ObjectRule):
    permission: str = ""

    def allows(self, user, obj) -> bool:
        return user.has_perm(self.permission)


class CanAcceptAudits(_RequiresPermission):
    message = "You may not accept or return audit reports."
    permission = ACCEPT_AUDIT


class CanReviewCaps(_RequiresPermission):
    message = "You may not review corrective action plans."
    permission = REVIEW_CAP


class CanVerifyClosures(_RequiresPermission):
    message = "You may not verify closures."
    permission = VERIFY_CLOSURE


class CanDecideExtensions(_RequiresPermission):
    message = "You may not decide extension requests."
    permission = DECIDE_EXTENSION
