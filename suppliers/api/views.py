"""The supplier register over HTTP. Each action takes input, calls one service or selector of
``suppliers.services`` / ``suppliers.lifecycle`` / ``suppliers.risk`` and shapes the answer; the rules live
there, and their refusals answer through ``common.errors.exception_handler`` (``ApiErrorsMixin``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from common.errors import ApiErrorsMixin, ErrorSerializer, InvalidInputSerializer
from suppliers import lifecycle, risk, roles, services
from suppliers.models import Supplier

from .filters import SupplierContactFilter, SupplierFilter
from .permissions import (
    CanOverrideRisk,
    CanReadSuppliers,
    CanRecomputeRisk,
    CanViewRisk,
    CanViewTransitions,
    SupplierPermissions,
    is_register_staff,
    suppliers_visible_to,
)
from .serializers import (
    AdmissionCheckSerializer,
    RiskOverrideRequestSerializer,
    RiskSerializer,
    StatusTransitionSerializer,
    SupplierSerializer,
    TransitionRefusedSerializer,
    TransitionRequestSerializer,
    TransitionResultSerializer,
)

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such supplier in the caller's scope.")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Not authenticated, or lacking the permission.")


class SupplierPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema_view(
    list=extend_schema(
        summary="List suppliers", description="Filter, search (code, name, legal name), order."
    ),
    retrieve=extend_schema(summary="One supplier", responses={200: SupplierSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        summary="Register a supplier",
        description="Master data only; status starts at candidate and risk is assessed after saving. "
        "When a buyer registers a supplier without naming a buyer, the caller becomes its buyer.",
        responses={201: SupplierSerializer, 403: FORBIDDEN},
    ),
    update=extend_schema(
        summary="Replace a supplier's master data", responses={200: SupplierSerializer, 404: NOT_FOUND}
    ),
    partial_update=extend_schema(
        summary="Change some of a supplier's master data", responses={200: SupplierSerializer, 404: NOT_FOUND}
    ),
)
@extend_schema(tags=["suppliers"])
class SupplierViewSet(
    ApiErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Suppliers are not deleted: they exit (``POST .../transition/ {"to": "exited"}``)."""

    serializer_class = SupplierSerializer
    permission_classes = [SupplierPermissions]
    pagination_class = SupplierPagination
    search_fields = ["code", "name", "legal_name"]
    ordering = ["code"]

    def _internal(self) -> bool:
        """Whether the caller sees the register's internal fields; the schema documents them all."""
        return getattr(self, "swagger_fake_view", False) or is_register_staff(self.request.user)

    # A supplier contact neither filters nor orders by internal fields: an empty or reordered answer would
    # tell them what the representation leaves out.
    @property
    def filterset_class(self):
        return SupplierFilter if self._internal() else SupplierContactFilter

    @property
    def ordering_fields(self):
        return ["code", "name", "risk_score", "status_changed_at"] if self._internal() else ["code", "name"]

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "internal": self._internal()}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Supplier.objects.none()
        queryset = suppliers_visible_to(user=self.request.user).select_related(
            "commodity", "parent", "buyer", "risk_override_by"
        )
        if self.action in {"risk", "risk_override", "risk_override_clear", "risk_recompute"}:
            return queryset.select_related("risk_assessment__model")
        return queryset.prefetch_related("business_units")

    def perform_create(self, serializer):
        owner = {}
        if "buyer" not in serializer.validated_data and roles.has_role(self.request.user, roles.PROCUREMENT):
            owner["buyer"] = self.request.user
        serializer.instance = services.supplier_create(
            by=self.request.user, **{**serializer.validated_data, **owner}
        )

    def perform_update(self, serializer):
        services.supplier_update(
            supplier=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    def _supplier_for_risk(self, pk) -> Supplier:
        return self.get_queryset().select_related("risk_assessment__model").get(pk=pk)

    @extend_schema(
        summary="May this supplier be admitted?",
        description="Every onboarding gate condition, met or not, in words.",
        responses={200: AdmissionCheckSerializer, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="admission-check",
        url_name="admission-check",
        permission_classes=[CanReadSuppliers],
    )
    def admission_check(self, request, pk=None):
        check = lifecycle.admission_check(supplier=self.get_object())
        return Response(AdmissionCheckSerializer(check).data)

    @extend_schema(
        summary="Move a supplier to another status",
        description="Admission, rejection, suspension, reinstatement and exit need "
        "``suppliers.approve_supplier``; other steps ``suppliers.change_supplier``. A refused step answers "
        "409 with every unmet onboarding condition.",
        request=TransitionRequestSerializer,
        responses={
            200: TransitionResultSerializer,
            400: OpenApiResponse(
                InvalidInputSerializer, description="Invalid status or missing reason; the field is named."
            ),
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(TransitionRefusedSerializer, description="The step is not allowed now."),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[CanReadSuppliers])
    def transition(self, request, pk=None):
        supplier = self.get_object()
        data = TransitionRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        to = data.validated_data["to"]
        if not request.user.has_perm(lifecycle.permission_for(to)):
            raise PermissionDenied(f"You may not move suppliers to '{Supplier.Status(to).label}'.")
        step = lifecycle.supplier_transition(
            supplier=supplier, to=to, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(TransitionResultSerializer({"status": supplier.status, "transition": step}).data)

    @extend_schema(
        summary="Lifecycle history",
        description="Every status step: from, to, who, when, why, and the gate's unmet conditions then.",
        responses={200: StatusTransitionSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], permission_classes=[CanViewTransitions], pagination_class=None)
    def transitions(self, request, pk=None):
        supplier = self.get_object()
        steps = supplier.transitions.select_related("by").order_by("at", "pk")
        return Response(StatusTransitionSerializer(steps, many=True).data)

    @extend_schema(
        summary="Latest risk assessment, explained",
        responses={200: RiskSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], permission_classes=[CanViewRisk])
    def risk(self, request, pk=None):
        return Response(RiskSerializer(self.get_object()).data)

    @extend_schema(
        summary="Override the risk level",
        description="Needs ``suppliers.override_risk`` and a reason; a hard rule (open red-line finding) "
        "still wins.",
        request=RiskOverrideRequestSerializer,
        responses={
            200: RiskSerializer,
            400: OpenApiResponse(
                InvalidInputSerializer, description="Missing reason or unknown level; the field is named."
            ),
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="risk/override",
        url_name="risk-override",
        permission_classes=[CanOverrideRisk],
    )
    def risk_override(self, request, pk=None):
        supplier = self.get_object()
        data = RiskOverrideRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        risk.risk_override_set(supplier=supplier, by=request.user, **data.validated_data)
        return Response(RiskSerializer(self._supplier_for_risk(supplier.pk)).data)

    @extend_schema(
        summary="Remove the risk override",
        request=None,
        responses={200: RiskSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @risk_override.mapping.delete
    def risk_override_clear(self, request, pk=None):
        supplier = self.get_object()
        risk.risk_override_clear(supplier=supplier, by=request.user)
        return Response(RiskSerializer(self._supplier_for_risk(supplier.pk)).data)

    @extend_schema(
        summary="Reassess now",
        description="Stores a fresh assessment with the current risk model and returns it.",
        request=None,
        responses={200: RiskSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="risk/recompute",
        url_name="risk-recompute",
        permission_classes=[CanRecomputeRisk],
    )
    def risk_recompute(self, request, pk=None):
        supplier = self.get_object()
        risk.risk_assess(supplier=supplier, by=request.user)
        return Response(RiskSerializer(self._supplier_for_risk(supplier.pk)).data)
