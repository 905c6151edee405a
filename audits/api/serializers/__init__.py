"""Shapes of the audit programme's API: what goes in, what comes out. The rules (who may change what, when
something is due) stay in ``audits.services`` and ``audits.deadlines``; input checks here only name the field
at fault.

A finding's ``evidence_notes`` are the auditor's notes of what they saw (records, interviews, photos); they
may identify workers who spoke to the auditor, so they are internal (``InternalFieldsMixin``): the agency's
auditors and the company's staff get them, a supplier contact does not. The supplier learns what is wrong
from the finding's description, provision and severity.

The modules, by resource (the views import the serializers from this package):

- ``audits``: the audit, its edits, acceptance, return and report upload;
- ``findings``: findings, evidence, the corrective action plan, closure verification, progress;
- ``extensions``: extension requests and decisions;
- ``fields``: the named enums, references and input fields the others share.
"""

from .audits import (
    AcceptedAuditSerializer,
    AuditSerializer,
    AuditUpdateSerializer,
    FileUploadSerializer,
    FindingDeadlineSerializer,
    ReturnRequestSerializer,
)
from .extensions import DecisionSerializer, ExtensionRequestSerializer, ExtensionSerializer
from .findings import (
    CapReviewSerializer,
    CapSerializer,
    CapSubmitSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    FindingDetailSerializer,
    FindingSerializer,
    FindingWriteSerializer,
    NoteSerializer,
    ProgressSerializer,
    ProgressSubmitSerializer,
    VerificationSerializer,
    VerifyRequestSerializer,
)

__all__ = [
    "AcceptedAuditSerializer",
    "AuditSerializer",
    "AuditUpdateSerializer",
    "CapReviewSerializer",
    "CapSerializer",
    "CapSubmitSerializer",
    "DecisionSerializer",
    "EvidenceSerializer",
    "EvidenceUploadSerializer",
    "ExtensionRequestSerializer",
    "ExtensionSerializer",
    "FileUploadSerializer",
    "FindingDeadlineSerializer",
    "FindingDetailSerializer",
    "FindingSerializer",
    "FindingWriteSerializer",
    "NoteSerializer",
    "ProgressSerializer",
    "ProgressSubmitSerializer",
    "ReturnRequestSerializer",
    "VerificationSerializer",
    "VerifyRequestSerializer",
]
