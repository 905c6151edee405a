"""The pieces the audit API's serializers share: one named enum per choice set (one OpenAPI component
each), references to a supplier, agency or code provision, and the provision, month and user fields.
"""

from __future__ import annotations

import datetime as dt
import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audits import deadlines
from audits.models import (
    Audit,
    ClosureVerification,
    CodeProvision,
    CorrectiveActionPlan,
    Evidence,
    ExtensionRequest,
    PerformanceBand,
    RedLine,
    Severity,
)
from suppliers.api.serializers import NamedChoiceField, user_label

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
