"""Shapes of ``audits/``: the audit, the agency's edits, the accepted audit with its findings' deadlines,
a return to the agency, and the report upload.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from rest_framework import serializers

from audits.models import Audit, Auditor

from .fields import (
    AgencyRefSerializer,
    AuditProtocolField,
    AuditStatusField,
    AuditTypeField,
    PerformanceBandField,
    RedLineField,
    SeverityField,
    SupplierRefSerializer,
)


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
