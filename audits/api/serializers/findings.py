"""Shapes of ``findings/``: the finding (its ``evidence_notes`` internal), what the agency writes, evidence,
the corrective action plan and its review, closure verification and monthly progress.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audits import deadlines
from audits.models import Audit, ClosureVerification, CorrectiveActionPlan, Evidence, Finding, ProgressUpdate
from suppliers.api.serializers import InternalFieldsMixin

from .audits import FileUploadSerializer
from .fields import (
    CapStatusField,
    EvidencePurposeField,
    MonthField,
    ProvisionField,
    ProvisionSerializer,
    RectificationStatusField,
    RedLineField,
    SeverityField,
    SupplierRefSerializer,
    UserLabelField,
    VerificationMethodField,
)


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
