"""The sync API for an SRM or ERP that holds suppliers' agreements and external assessments: ``PUT`` one
record by its natural key, in the path.

- ``PUT /api/v1/suppliers/{code}/agreements/{kind}/``: the agreement of that kind signed on the body's
  ``signed_on`` (none: the one sent but not signed);
- ``PUT /api/v1/suppliers/{code}/assessments/{kind}/{assessed_on}/``.

Each is idempotent: 201 with the record when it was created, 200 with the same body when it was updated or
already equal (then nothing is written). Every value is checked by the importers' own check
(``suppliers.importing.agreements.agreement_problems`` / ``assessments.assessment_problems``), so a 400 names
each field at fault with the importer's message. Needs Django's model permissions to add and change the
record; a supplier code outside the caller's scope, or a kind that does not exist, is 404."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from common.errors import ApiErrorsMixin, InvalidInputSerializer
from suppliers.importing import agreements, assessments
from suppliers.models import Agreement, ExternalAssessment, Supplier

from .permissions import _RequiresPermissions, suppliers_visible_to


class CanSyncAgreements(_RequiresPermissions):
    message = "You may not add and change suppliers' agreements."
    required = ("suppliers.add_agreement", "suppliers.change_agreement")


class CanSyncAssessments(_RequiresPermissions):
    message = "You may not add and change suppliers' external assessments."
    required = ("suppliers.add_externalassessment", "suppliers.change_externalassessment")


@extend_schema_field(OpenApiTypes.DATE)
class DateText(serializers.CharField):
    """A date, YYYY-MM-DD, read by the importers' rule (their messages)."""


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberText(serializers.CharField):
    """A number (JSON number or text), read by the importers' rule (their messages)."""


def _text(**options) -> dict[str, Any]:
    return {"required": False, "allow_blank": True, "allow_null": True, "trim_whitespace": False, **options}


def _as_text(data: dict[str, Any], names) -> dict[str, str]:
    """The request's values as the importers read them: text, empty when absent or null."""
    return {name: "" if data.get(name) is None else str(data[name]) for name in names}


# --- Agreements ------------------------------------------------------------------------------------------


class AgreementPutSerializer(serializers.Serializer):
    signed_on = DateText(
        **_text(help_text="Day it was signed; null: sent but not signed yet. Part of the key.")
    )
    expires_on = DateText(**_text(help_text="Day the signature expires, after signed_on; null: never."))
    signed_by = serializers.CharField(**_text(help_text="Name (and title) of the signatory."))
    text_version = serializers.CharField(
        **_text(help_text="Version of the published agreement text of this kind that was signed; null: none.")
    )


class AgreementSyncSerializer(serializers.ModelSerializer):
    supplier_code = serializers.CharField(source="supplier.code")
    text_version = serializers.CharField(source="text.version", allow_null=True, default=None)

    class Meta:
        model = Agreement
        fields = ["supplier_code", "kind", "signed_on", "expires_on", "signed_by", "text_version"]
        read_only_fields = fields


def _path(name: str, description: str, **options) -> OpenApiParameter:
    return OpenApiParameter(name, location=OpenApiParameter.PATH, description=description, **options)


SUPPLIER_CODE = _path("code", "The supplier's code.", type=str)


def _supplier(request, code: str) -> Supplier:
    supplier = suppliers_visible_to(user=request.user).filter(code=code).only("pk", "code").first()
    if supplier is None:
        raise NotFound(f"No supplier with the code {code!r}.")
    return supplier


@extend_schema(tags=["sync"])
class AgreementSyncViewSet(ApiErrorsMixin, viewsets.GenericViewSet):
    """``PUT /api/v1/suppliers/{code}/agreements/{kind}/`` (module docstring)."""

    permission_classes = [CanSyncAgreements]
    serializer_class = AgreementPutSerializer
    lookup_field = "kind"
    lookup_value_regex = "[^/]+"
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return Agreement.objects.none()

    @extend_schema(
        summary="Create or update an agreement",
        description="Upsert by (supplier code, kind, signed_on): idempotent. 201 when created; 200 when "
        "updated, or when it was equal already and nothing was written. The values are checked as the "
        "agreement importer checks them; a 400 names each field at fault. An agreement signed online in the "
        "portal is not changed. Needs the permissions suppliers.add_agreement and "
        "suppliers.change_agreement.",
        parameters=[SUPPLIER_CODE, _path("kind", "Which agreement.", type=str, enum=Agreement.Kind.values)],
        request=AgreementPutSerializer,
        responses={
            200: AgreementSyncSerializer,
            201: AgreementSyncSerializer,
            400: OpenApiResponse(
                InvalidInputSerializer, description="The fields at fault, each with its message."
            ),
        },
    )
    def update(self, request, code: str, kind: str):
        if kind not in Agreement.Kind.values:
            raise NotFound(f"No agreement kind {kind!r}; use one of {', '.join(Agreement.Kind.values)}.")
        supplier = _supplier(request, code)
        body = AgreementPutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = {**_as_text(body.validated_data, body.fields), "kind": kind}
        agreement, created, _ = agreements.agreement_put(supplier=supplier, values=values, by=request.user)
        agreement.supplier = supplier
        return Response(
            AgreementSyncSerializer(agreement).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# --- External assessments -------------------------------------------------------------------------------


class AssessmentPutSerializer(serializers.Serializer):
    score = NumberText(**_text(help_text="The score, from 0 to scale_max (one decimal place at most)."))
    scale_max = NumberText(
        **_text(help_text="Highest possible score; null: 200 for rba_vap, 100 for rba_saq and ecovadis.")
    )
    rating = serializers.CharField(**_text(help_text="Band or medal, e.g. gold, high performer."))
    reference = serializers.CharField(**_text(help_text="The report's reference."))
    valid_until = DateText(**_text(help_text="Last day the assessment counts, on or after assessed_on."))
    scheme = serializers.CharField(
        **_text(help_text="Name of the scheme; for kind other only, and required.")
    )


class AssessmentSyncSerializer(serializers.ModelSerializer):
    supplier_code = serializers.CharField(source="supplier.code")
    score = serializers.DecimalField(max_digits=6, decimal_places=1, coerce_to_string=False)
    scale_max = serializers.DecimalField(max_digits=6, decimal_places=1, coerce_to_string=False)

    class Meta:
        model = ExternalAssessment
        fields = [
            "supplier_code",
            "kind",
            "assessed_on",
            "scheme",
            "score",
            "scale_max",
            "rating",
            "reference",
            "valid_until",
        ]
        read_only_fields = fields


@extend_schema(tags=["sync"])
class AssessmentSyncViewSet(ApiErrorsMixin, viewsets.GenericViewSet):
    """``PUT /api/v1/suppliers/{code}/assessments/{kind}/{assessed_on}/`` (module docstring)."""

    permission_classes = [CanSyncAssessments]
    serializer_class = AssessmentPutSerializer
    lookup_field = "assessed_on"
    lookup_value_regex = "[^/]+"
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return ExternalAssessment.objects.none()

    @extend_schema(
        summary="Create or update an external assessment",
        description="Upsert by (supplier code, kind, assessed_on): idempotent. 201 when created; 200 when "
        "updated, or when it was equal already and nothing was written. The values are checked as the "
        "assessment importer checks them; a 400 names each field at fault. Needs the permissions "
        "suppliers.add_externalassessment and suppliers.change_externalassessment.",
        parameters=[
            SUPPLIER_CODE,
            _path("kind", "Which assessment.", type=str, enum=ExternalAssessment.Kind.values),
            _path("assessed_on", "Day of the assessment, YYYY-MM-DD.", type=OpenApiTypes.DATE),
        ],
        request=AssessmentPutSerializer,
        responses={
            200: AssessmentSyncSerializer,
            201: AssessmentSyncSerializer,
            400: OpenApiResponse(
                InvalidInputSerializer, description="The fields at fault, each with its message."
            ),
        },
    )
    def update(self, request, code: str, kind: str, assessed_on: str):
        if kind not in ExternalAssessment.Kind.values:
            raise NotFound(
                f"No assessment kind {kind!r}; use one of {', '.join(ExternalAssessment.Kind.values)}."
            )
        supplier = _supplier(request, code)
        body = AssessmentPutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = {**_as_text(body.validated_data, body.fields), "kind": kind, "assessed_on": assessed_on}
        assessment, created, _ = assessments.assessment_put(supplier=supplier, values=values, by=request.user)
        assessment.supplier = supplier
        return Response(
            AssessmentSyncSerializer(assessment).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
