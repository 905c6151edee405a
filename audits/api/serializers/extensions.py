"""Shapes of ``extensions/``: an extension request, what the supplier asks for, and the decision."""

from __future__ import annotations

from rest_framework import serializers

from audits.models import ExtensionRequest

from .fields import ExtensionStatusField, UserLabelField


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
