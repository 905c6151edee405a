"""The sync API for an SRM or ERP that holds the supplier master: ``PUT /api/v1/suppliers/by-code/{code}/``
creates or updates one supplier by its code.

The body holds the supplier import's columns (``suppliers.importing.COLUMNS``, the code excepted: it is in
the path) and every value is checked as a row of an imported file is (``suppliers.importing.rows.parse_row``
and ``register.Plan``, which ask ``services.tier_problems`` / ``spend_problems``), so a 400 names each field
at fault with the importer's message. As in a file, ``name``, ``category``, ``tier`` and ``country`` are
required; an optional field left out keeps the stored value, and one sent empty or null clears it. The
supplier is written by ``services.supplier_create`` / ``supplier_update`` (status and risk are not master
data: a new supplier starts as a candidate).

Idempotent: 201 with the supplier when it was created, 200 when it was updated or already equal (then
nothing is written, and no history record is added). The path says ``by-code`` because ``/suppliers/{id}/``
already names a supplier by its id, and a code may be all digits. Needs ``suppliers.add_supplier`` and
``suppliers.change_supplier``."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from common.errors import ApiErrorsMixin, InvalidInputSerializer
from suppliers import services
from suppliers.importing.register import Plan
from suppliers.importing.rows import COLUMNS, RowError, parse_row
from suppliers.models import Supplier

from .permissions import _RequiresPermissions, is_register_staff
from .serializers import SupplierSerializer


class CanSyncSuppliers(_RequiresPermissions):
    message = "You may not add and change suppliers."
    required = ("suppliers.add_supplier", "suppliers.change_supplier")


@extend_schema_field({"type": "integer", "enum": [1, 2]})
class TierText(serializers.CharField):
    """1 (direct) or 2 (key indirect), read by the importer's rule (its messages)."""


@extend_schema_field({"type": "number", "minimum": 0})
class SpendText(serializers.CharField):
    """A number (JSON number or text), read by the importer's rule (its messages)."""


def _text(**options) -> dict[str, Any]:
    return {"required": False, "allow_blank": True, "allow_null": True, **options}


class SupplierPutSerializer(serializers.Serializer):
    """A supplier's master data as the supplier import's columns (module docstring)."""

    name = serializers.CharField(**_text(help_text="Required."))
    legal_name = serializers.CharField(**_text())
    category = serializers.CharField(**_text(help_text="Required: production or non_production."))
    tier = TierText(**_text(help_text="Required: 1 direct, 2 key indirect (needs parent_code)."))
    parent_code = serializers.CharField(**_text(help_text="Code of the tier-1 parent of a tier-2 supplier."))
    country = serializers.CharField(**_text(help_text="Required: ISO 3166 code such as CN, or English name."))
    business_units = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        help_text="Codes or names of the business units it serves: exactly these.",
    )
    commodity = serializers.CharField(**_text(help_text="Code or name of the commodity / process."))
    buyer_email = serializers.CharField(
        **_text(help_text="E-mail of the responsible buyer (an active Procurement staff user).")
    )
    annual_spend = SpendText(**_text(help_text="Annual spend, with its currency."))
    currency = serializers.CharField(**_text(help_text="ISO 4217 code, e.g. USD; goes with annual_spend."))


def _cells(code: str, data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The body as one row of a supplier file: its columns and their text."""
    columns = ["code", *(column for column in COLUMNS if column != "code" and column in data)]
    cells = [code]
    for column in columns[1:]:
        value = data[column]
        if isinstance(value, list):
            value = ";".join(value)
        cells.append("" if value is None else str(value))
    return columns, cells


def _fields(plan: Plan, columns: list[str]) -> dict[str, Any]:
    """The services' fields of the checked row: those of the columns given, and the parent, which always
    follows the tier."""
    row = plan.rows[0]
    values = {
        "name": row.name,
        "legal_name": row.legal_name,
        "category": row.category,
        "tier": row.tier,
        "parent": plan.suppliers[row.parent_code] if row.parent_code else None,
        "country": row.country,
        "business_units": [plan.business_units[token.lower()] for token in row.business_units],
        "commodity": plan.commodities[row.commodity.lower()] if row.commodity else None,
        "buyer": plan.buyers[row.buyer_email.lower()] if row.buyer_email else None,
        "annual_spend": row.annual_spend,
        "currency": row.currency,
    }
    names = {"parent_code": "parent", "buyer_email": "buyer"}
    given = {names.get(column, column) for column in columns} | {"parent"}
    return {name: value for name, value in values.items() if name in given}


def supplier_put(*, code: str, data: dict[str, Any], by) -> tuple[Supplier | None, bool, list[RowError]]:
    """Check the body as a row of a supplier file and create or update the supplier: ``(supplier, created,
    errors)``; with errors nothing is written."""
    columns, cells = _cells(code, data)
    errors: list[RowError] = []
    row = parse_row(1, cells, columns, errors)
    plan = Plan(rows=[row], present=set(columns), errors=errors)
    plan.check_duplicates()
    plan.resolve()
    if errors:
        return None, False, errors
    fields = _fields(plan, columns)
    existing = plan.suppliers.get(code)
    if existing is None:
        try:
            with transaction.atomic():
                return services.supplier_create(by=by, code=code, **fields), True, []
        except IntegrityError:  # created by a request running at the same time: update it
            existing = Supplier.objects.get(code=code)
    return services.supplier_update(supplier=existing, by=by, **fields), False, []


@extend_schema(tags=["sync"])
class SupplierSyncViewSet(ApiErrorsMixin, viewsets.GenericViewSet):
    """``PUT /api/v1/suppliers/by-code/{code}/`` (module docstring)."""

    permission_classes = [CanSyncSuppliers]
    serializer_class = SupplierPutSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return Supplier.objects.none()

    @extend_schema(
        summary="Create or update a supplier by its code",
        description="Upsert by supplier code: idempotent. 201 when created; 200 when updated, or when it was "
        "equal already and nothing was written. The fields are the supplier import's columns and are checked "
        "as the importer checks them; a 400 names each field at fault. name, category, tier and country are "
        "required; an optional field left out keeps its value, one sent empty or null clears it. Needs the "
        "permissions suppliers.add_supplier and suppliers.change_supplier.",
        parameters=[
            OpenApiParameter(
                "code", location=OpenApiParameter.PATH, type=str, description="The supplier's code."
            )
        ],
        request=SupplierPutSerializer,
        responses={
            200: SupplierSerializer,
            201: SupplierSerializer,
            400: OpenApiResponse(
                InvalidInputSerializer, description="The fields at fault, each with its message."
            ),
        },
    )
    def update(self, request, code: str):
        body = SupplierPutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        supplier, created, errors = supplier_put(code=code, data=body.validated_data, by=request.user)
        if errors:
            problems: dict[str, list[str]] = {}
            for error in errors:
                problems.setdefault(error.column, []).append(error.message)
            return Response(problems, status=status.HTTP_400_BAD_REQUEST)
        supplier = (
            Supplier.objects.select_related("commodity", "parent", "buyer", "risk_override_by")
            .prefetch_related("business_units")
            .get(pk=supplier.pk)
        )
        context = {"request": request, "internal": is_register_staff(request.user)}
        return Response(
            SupplierSerializer(supplier, context=context).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
