"""Shapes of the audit programme's API: what goes in, what comes out. The rules (who may change what, when
something is due) stay in ``audits.services`` and ``audits.deadlines``; input checks here only name the field
at fault.

A finding's ``evidence_notes`` are the auditor's notes of what they saw (records, interviews, photos); they
may identify workers who spoke to the auditor, so they are internal (``InternalFieldsMixin``): the agency's
auditors and the company's staff get them, a supplier contact does not. The supplier learns what is wrong
from the finding's description, provision and severity.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audits import deadlines
from audits.models import (
    Audit,
    Auditor,
    ClosureVerification,
    CodeProvision,
    CorrectiveActionPlan,
    Evidence,
    ExtensionRequest,
    Finding,
    PerformanceBand,
    ProgressUpdate,
    RedLine,
    Severity,
)
from suppliers.api.serializers import InternalFieldsMixin, NamedChoiceField, user_label

# --- Named enums (one OpenAPI component per choice set) ---------------------------------------------------


class AuditStatusField(NamedChoiceField):
    component_name = "AuditStatus"
    choices_class = Audit.Status


class AuditTypeField(NamedChoiceField):
    component_name = "AuditType"
    choices_class = Audit.Type


class AuditProtocolField(NamedChoiceField):
    component_name = "AuditProtocol"
    choices_class = Audit.Protocol


class PerformanceBandField(NamedChoiceField):
    component_name = "PerformanceBand"
    choices_class = PerformanceBand


class SeverityField(NamedChoiceField):
    component_name = "Severity"
    choices_class = Severity


class RedLineField(NamedChoiceField):
    component_name = "RedLine"
    choices_class = RedLine


class CapStatusField(NamedChoiceField):
    component_name = "CapStatus"
    choices_class = CorrectiveActionPlan.Status


class EvidencePurposeField(NamedChoiceField):
    component_name = "EvidencePurpose"
    choices_class = Evidence.Purpose


class VerificationMethodField(NamedChoiceField):
    component_name = "VerificationMethod"
    choices_class = ClosureVerification.Method


class ExtensionStatusField(NamedChoiceField):
    component_name = "ExtensionStatus"
    choices_class = ExtensionRequest.Status


class RectificationStatusField(NamedChoiceField):
    component_name = "RectificationStatus"
    choices_class = deadlines.RectificationStatus


# --- References ----------------------------------------------------------------------------------------


class SupplierRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class AgencyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class ProvisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CodeProvision
        fields = ["id", "code", "title", "section", "code_version"]
        read_only_fields = fields


def _version_key(provision: CodeProvision) -> tuple:
    return tuple(int(part) for part in re.findall(r"\d+", provision.code_version)), provision.pk


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "integer"}],
        "description": "The code provision: its code such as 'A3' (the active provision of the latest code "
        "version) or its id.",
        "example": "A3",
    }
)
class ProvisionField(serializers.Field):
    default_error_messages = {
        "unknown_code": "No active code provision has the code '{value}'.",
        "unknown_id": "No code provision has the id {value}.",
        "invalid": "Give the provision's code (such as 'A3') or its id.",
    }

    def to_internal_value(self, data) -> CodeProvision:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        text = str(data).strip()
        if not text:
            self.fail("invalid")
        if text.isdigit():
            provision = CodeProvision.objects.filter(pk=int(text)).first()
            if provision is None:
                self.fail("unknown_id", value=text)
            return provision
        candidates = list(CodeProvision.objects.filter(code__iexact=text, active=True))
        if not candidates:
            self.fail("unknown_code", value=text)
        return max(candidates, key=_version_key)

    def to_representation(self, value: CodeProvision) -> str:
        return value.code


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}(-\d{2})?$", "example": "2026-03"})
class MonthField(serializers.Field):
    """A month as "YYYY-MM" (a full date "YYYY-MM-DD" is taken as its month); answered as "YYYY-MM"."""

    default_error_messages = {"invalid": "Give the month as YYYY-MM (or a date YYYY-MM-DD), not '{value}'."}

    def to_internal_value(self, data) -> dt.date:
        text = str(data).strip()
        for pattern in ("%Y-%m", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(text, pattern).date().replace(day=1)
            except ValueError:
                continue
        self.fail("invalid", value=text)

    def to_representation(self, value: dt.date) -> str:
        return f"{value:%Y-%m}"


class UserLabelField(serializers.CharField):
    """A user as their e-mail (or username)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str | None:
        return user_label(value)


# --- Audits --------------------------------------------------------------------------------------------


class AuditSerializer(serializers.ModelSerializer):
    supplier = SupplierRefSerializer(read_only=True)
    agency = AgencyRefSerializer(read_only=True)
    lead_auditor = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    lead_auditor_name = serializers.SerializerMethodField()
    type = AuditTypeField(read_only=True)
    protocol = AuditProtocolField(read_only=True)
    status = AuditStatusField(read_only=True)
    performance_band = PerformanceBandField(
        read_only=True, allow_blank=True, help_text="Set when the report is accepted; empty before."
    )
    report_file = serializers.SerializerMethodField(
        help_text="Name the report downloads under (GET .../audits/{id}/report/), if uploaded."
    )
    report_sha256 = serializers.CharField(read_only=True, help_text="SHA-256 of the report file, hex.")
    findings_count = serializers.SerializerMethodField()

    class Meta:
        model = Audit
        fields = [
            "id",
            "reference",
            "supplier",
            "agency",
            "site",
            "lead_auditor",
            "lead_auditor_name",
            "type",
            "protocol",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "status",
            "score",
            "performance_band",
            "summary",
            "report_file",
            "report_sha256",
            "findings_count",
            "submitted_at",
            "accepted_on",
            "closed_at",
        ]
        read_only_fields = fields

    def get_lead_auditor_name(self, audit: Audit) -> str | None:
        auditor = audit.lead_auditor
        if auditor is None:
            return None
        return auditor.user.get_full_name() or auditor.user.get_username()

    def get_report_file(self, audit: Audit) -> str | None:
        return (
            f"{audit.report_download_name}{PurePosixPath(audit.report.name).suffix}" if audit.report else None
        )

    def get_findings_count(self, audit: Audit) -> int:
        count = getattr(audit, "findings_count", None)
        return count if count is not None else audit.findings.count()


class AuditUpdateSerializer(serializers.Serializer):
    """The agency's edits while the audit is planned or in progress. Setting the actual start starts it."""

    actual_start = serializers.DateField(required=False, allow_null=True)
    actual_end = serializers.DateField(required=False, allow_null=True)
    score = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=200,
        required=False,
        allow_null=True,
        help_text="0-200, VAP style.",
    )
    summary = serializers.CharField(required=False, allow_blank=True)
    site = serializers.CharField(required=False, max_length=255)
    lead_auditor = serializers.PrimaryKeyRelatedField(
        queryset=Auditor.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of an active auditor of the audit's agency.",
    )

    class Meta:
        ref_name = "AuditChange"

    def __init__(self, *args, audit: Audit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if audit is not None:
            field = self.fields["lead_auditor"]
            field.queryset = Auditor.objects.active().filter(agency_id=audit.agency_id)
            field.error_messages["does_not_exist"] = (
                f"No active auditor of {audit.agency} has the id {{pk_value}}."
            )


class FindingDeadlineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    severity = SeverityField()
    red_line = RedLineField(allow_blank=True)
    cap_due = serializers.DateField(allow_null=True, help_text="Null for observations.")
    rectification_due = serializers.DateField(allow_null=True, help_text="Null for observations.")


class AcceptedAuditSerializer(AuditSerializer):
    """The accepted audit and the deadlines now fixed on each of its findings."""

    findings = FindingDeadlineSerializer(many=True, read_only=True)

    class Meta(AuditSerializer.Meta):
        fields = [*AuditSerializer.Meta.fields, "findings"]
        read_only_fields = fields


class ReturnRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(
        error_messages={
            "required": "Returning a report needs a reason.",
            "blank": "Returning a report needs a reason.",
        }
    )

    class Meta:
        ref_name = "AuditReturn"


class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        use_url=False,
        help_text="PDF, JPEG, PNG, XLSX or DOCX, recognised by content; at most UPLOAD_MAX_BYTES (25 MB).",
    )

    class Meta:
        ref_name = "ReportUpload"


# --- Findings ------------------------------------------------------------------------------------------


class CapSerializer(serializers.ModelSerializer):
    status = CapStatusField(read_only=True)
    submitted_by = UserLabelField()
    reviewed_by = UserLabelField()

    class Meta:
        model = CorrectiveActionPlan
        fields = [
            "status",
            "root_cause",
            "corrective_action",
            "preventive_action",
            "owner",
            "planned_completion",
            "submitted_at",
            "submitted_by",
            "first_submitted_at",
            "reviewed_at",
            "reviewed_by",
            "review_note",
            "implemented_at",
            "implementation_note",
        ]
        read_only_fields = fields


class VerificationSerializer(serializers.ModelSerializer):
    method = VerificationMethodField(read_only=True)
    follow_up_audit = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    verified_by = UserLabelField()

    class Meta:
        model = ClosureVerification
        fields = ["method", "follow_up_audit", "verified_by", "verified_at", "note"]
        read_only_fields = fields


class FindingSerializer(InternalFieldsMixin, serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True, help_text="Audit reference and finding number.")
    audit_reference = serializers.CharField(source="audit.reference", read_only=True)
    supplier = SupplierRefSerializer(source="audit.supplier", read_only=True)
    provision = ProvisionSerializer(read_only=True)
    severity = SeverityField(read_only=True)
    red_line = RedLineField(read_only=True, allow_blank=True, help_text="Red-line category; empty if none.")
    cap_status = serializers.SerializerMethodField()
    rectification_status = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id",
            "reference",
            "audit",
            "audit_reference",
            "supplier",
            "number",
            "provision",
            "severity",
            "red_line",
            "description",
            "evidence_notes",
            "cap_due",
            "rectification_due",
            "original_rectification_due",
            "closed_on",
            "cap_status",
            "rectification_status",
        ]
        read_only_fields = fields
        internal_fields = ("evidence_notes",)

    def _today(self) -> dt.date:
        if "today" not in self.context:
            self.context["today"] = timezone.localdate()
        return self.context["today"]

    @extend_schema_field(CapStatusField(allow_null=True, help_text="Null when no plan is due."))
    def get_cap_status(self, finding: Finding) -> str | None:
        cap = getattr(finding, "cap", None)
        return cap.status if cap is not None else None

    @extend_schema_field(
        RectificationStatusField(
            allow_null=True, help_text="Today: closed on time, closed late, open within deadline or overdue."
        )
    )
    def get_rectification_status(self, finding: Finding) -> str | None:
        status = deadlines.rectification_status(finding=finding, on=self._today())
        return status.value if status is not None else None


class FindingDetailSerializer(FindingSerializer):
    cap = serializers.SerializerMethodField()
    verification = serializers.SerializerMethodField()

    class Meta(FindingSerializer.Meta):
        fields = [*FindingSerializer.Meta.fields, "cap", "verification"]
        read_only_fields = fields

    @extend_schema_field(CapSerializer(allow_null=True))
    def get_cap(self, finding: Finding) -> dict | None:
        cap = getattr(finding, "cap", None)
        return CapSerializer(cap).data if cap is not None else None

    @extend_schema_field(VerificationSerializer(allow_null=True))
    def get_verification(self, finding: Finding) -> dict | None:
        verification = getattr(finding, "verification", None)
        return VerificationSerializer(verification).data if verification is not None else None


class FindingWriteSerializer(serializers.Serializer):
    provision = ProvisionField()
    severity = SeverityField()
    red_line = RedLineField(
        required=False, allow_blank=True, default="", help_text="Red-line category (a red line is priority)."
    )
    description = serializers.CharField()
    evidence_notes = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "FindingInput"


class EvidenceSerializer(serializers.ModelSerializer):
    purpose = EvidencePurposeField(read_only=True)
    uploaded_by = UserLabelField()
    sha256 = serializers.CharField(read_only=True, help_text="SHA-256 of the stored file, hex.")

    class Meta:
        model = Evidence
        fields = [
            "id",
            "finding",
            "purpose",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "description",
            "uploaded_by",
            "uploaded_at",
        ]
        read_only_fields = fields


class EvidenceUploadSerializer(FileUploadSerializer):
    description = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    purpose = EvidencePurposeField(
        required=False,
        help_text="Auditors add audit evidence ('finding', the default for them); supplier contacts add "
        "'rectification' (their default) or 'progress' evidence.",
    )

    class Meta:
        ref_name = "EvidenceUpload"


class CapSubmitSerializer(serializers.Serializer):
    root_cause = serializers.CharField()
    corrective_action = serializers.CharField()
    preventive_action = serializers.CharField()
    owner = serializers.CharField(max_length=150, help_text="Person at the supplier responsible.")
    planned_completion = serializers.DateField(help_text="No later than the rectification due date.")

    class Meta:
        ref_name = "CapSubmission"


class CapReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text="true approves the plan; false rejects it (give a note).")
    note = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "CapReview"


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "CapImplementation"


class VerifyRequestSerializer(serializers.Serializer):
    method = VerificationMethodField()
    follow_up_audit = serializers.PrimaryKeyRelatedField(
        queryset=Audit.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the follow-up audit of the finding's supplier, when that is the method; for an "
        "auditor, one of their agency's audits.",
        error_messages={"does_not_exist": "No audit you can see has the id {pk_value}."},
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "ClosureVerificationRequest"

    def __init__(self, *args, audits=None, **kwargs):
        """``audits``: those the caller may name as the follow-up audit (their scope)."""
        super().__init__(*args, **kwargs)
        if audits is not None:
            self.fields["follow_up_audit"].queryset = audits


class ProgressSerializer(serializers.ModelSerializer):
    month = MonthField(read_only=True)
    submitted_by = UserLabelField()

    class Meta:
        model = ProgressUpdate
        fields = ["id", "month", "percent_complete", "note", "submitted_by", "submitted_at"]
        read_only_fields = fields


class ProgressSubmitSerializer(serializers.Serializer):
    month = MonthField()
    percent_complete = serializers.IntegerField(min_value=0, max_value=100)
    note = serializers.CharField()

    class Meta:
        ref_name = "ProgressReport"


class ExtensionSerializer(serializers.ModelSerializer):
    finding_reference = serializers.CharField(source="finding.reference", read_only=True)
    status = ExtensionStatusField(read_only=True)
    requested_by = UserLabelField()
    decided_by = UserLabelField()
    rectification_due = serializers.DateField(
        source="finding.rectification_due", read_only=True, help_text="The finding's due date now."
    )

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "finding",
            "finding_reference",
            "previous_due",
            "requested_due",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "rectification_due",
        ]
        read_only_fields = fields


class ExtensionRequestSerializer(serializers.Serializer):
    requested_due = serializers.DateField(help_text="The new rectification due date asked for.")
    reason = serializers.CharField()

    class Meta:
        ref_name = "ExtensionRequestInput"


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField()

    class Meta:
        ref_name = "ExtensionDecision"
