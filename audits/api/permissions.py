"""Who sees what in the audit programme's API, and who may do what to what they see.

Scope (objects outside it are absent from the queryset, so they answer 404, never 403):
- ESG managers and procurement (``audits.view_audit``): every audit and finding; procurement only reads.
- An auditor (a user with an ``audits.Auditor`` row) while they and their agency are active
  (``Auditor.objects.active()``): the audits assigned to their agency, and their findings. An auditor of an
  inactive agency, or whose login is inactive, is nobody: 404 for every object, empty lists.
- A supplier contact (in the "Supplier contact" group and linked to an active contact:
  ``suppliers.accounts.contact_of``): the findings
  of their own supplier's audits once the report is accepted (accepted or closed), and those audits,
  read-only. Of a finding's evidence they see what the supplier side added (rectification and progress
  evidence), not the auditor's evidence (interview notes and photos may identify workers).
- Anyone else: nothing.

Within scope, writes need the right role (403 otherwise): the agency's auditors record the audit (dates,
score, findings, evidence, report, submission); supplier contacts carry out the corrective action (CAP,
progress, extension requests, rectification evidence); ESG managers decide (accept or return reports,
review CAPs, verify closures, decide extensions), each decision behind its Django permission.

Closure verification (``verification_methods``, the one rule): an ESG manager
(``audits.add_closureverification``) records a desk review of the evidence or a follow-up audit; an auditor of
the agency assigned to the finding's audit records a follow-up audit only, naming one of their agency's audits
of the supplier. A desk review is the company's judgement of the supplier's evidence, not the agency's.

What auditors and the company's staff see of a finding that a supplier contact does not: the auditor's
``evidence_notes`` (``sees_audit_internals``, used by the serializers' internal fields and by the evidence
lists above).
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

from audits.models import Audit, Auditor, ClosureVerification, Evidence, ExtensionRequest, Finding
from suppliers import roles
from suppliers.accounts import supplier_id_of

VIEW_ALL = "audits.view_audit"
ACCEPT_AUDIT = "audits.accept_audit"
REVIEW_CAP = "audits.change_correctiveactionplan"
VERIFY_CLOSURE = "audits.add_closureverification"
DECIDE_EXTENSION = "audits.change_extensionrequest"

# Audits whose findings a supplier contact works on: the report has been accepted.
ISSUED = (Audit.Status.ACCEPTED, Audit.Status.CLOSED)
SUPPLIER_EVIDENCE = (Evidence.Purpose.RECTIFICATION, Evidence.Purpose.PROGRESS)


_UNREAD = object()


def auditor_of(user) -> Auditor | None:
    """The user's auditor record (their agency) if it gives access now (``Auditor.objects.active()``), else
    None. Read once per user object, i.e. once per request."""
    if not user.is_authenticated:
        return None
    auditor = getattr(user, "_active_auditor", _UNREAD)
    if auditor is _UNREAD:
        auditor = Auditor.objects.active().select_related("agency").filter(user=user).first()
        user._active_auditor = auditor
    return auditor


def sees_audit_internals(user) -> bool:
    """The company's audit readers and active auditors see the auditor's evidence and notes; supplier contacts
    do not (interview notes and photos may identify workers)."""
    return user.is_authenticated and (user.has_perm(VIEW_ALL) or auditor_of(user) is not None)


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
        return audits.filter(supplier_id=supplier_id_of(user), status__in=ISSUED)
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


def _only_supplier_evidence(user, evidence: QuerySet[Evidence]) -> QuerySet[Evidence]:
    """Of evidence in scope, a supplier contact sees what the supplier side added; the auditor's evidence
    (interview notes, photos that may identify workers) is confidential to the agency and the company."""
    if sees_audit_internals(user):
        return evidence
    return evidence.filter(purpose__in=SUPPLIER_EVIDENCE)


def evidence_visible_to(*, user, finding: Finding) -> QuerySet[Evidence]:
    return _only_supplier_evidence(user, finding.evidence.all())


def all_evidence_visible_to(*, user) -> QuerySet[Evidence]:
    """Every evidence file the user may download."""
    return _only_supplier_evidence(user, Evidence.objects.filter(finding__in=findings_visible_to(user=user)))


def _audit_of(obj) -> Audit | None:
    """The audit an object belongs to: an audit, a finding, or anything recorded on a finding (its corrective
    action plan, evidence, progress, extensions, verification). None for anything else, which no write rule
    allows."""
    if isinstance(obj, Audit):
        return obj
    if isinstance(obj, Finding):
        return obj.audit
    finding = getattr(obj, "finding", None)
    return finding.audit if isinstance(finding, Finding) else None


def is_agency_auditor(user, obj) -> bool:
    auditor = auditor_of(user)
    audit = _audit_of(obj)
    return auditor is not None and audit is not None and auditor.agency_id == audit.agency_id


def is_contact_of_supplier(user, obj) -> bool:
    if not is_supplier_contact(user):
        return False
    audit = _audit_of(obj)
    return audit is not None and audit.supplier.contacts.filter(user=user).exists()


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


def verification_methods(user, finding: Finding) -> tuple[str, ...]:
    """The closure verification methods this user may record for the finding (module docstring)."""
    if user.has_perm(VERIFY_CLOSURE):
        return (ClosureVerification.Method.DESK_REVIEW, ClosureVerification.Method.FOLLOW_UP_AUDIT)
    if is_agency_auditor(user, finding):
        return (ClosureVerification.Method.FOLLOW_UP_AUDIT,)
    return ()


def refuse_verification_method(user, finding: Finding, method: str) -> str | None:
    """Why this user may not record a verification by ``method``, or None when they may."""
    if method in verification_methods(user, finding):
        return None
    if is_agency_auditor(user, finding):
        return "Auditors verify a closure by follow-up audit; a desk review is for ESG managers."
    return CanVerifyClosures.message


class CanVerifyClosures(_ObjectRule):
    message = "You may not verify closures."

    def allows(self, user, obj) -> bool:
        return bool(verification_methods(user, obj))


class CanDecideExtensions(_RequiresPermission):
    message = "You may not decide extension requests."
    permission = DECIDE_EXTENSION
