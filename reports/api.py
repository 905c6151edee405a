"""The annual ESG report over the REST API: ``GET /api/v1/reports/esg/?year=YYYY``.

``config.api_urls`` mounts ``router`` under /api/v1/; the route is named ``api:esg-report-list``.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from common.errors import ApiErrorsMixin, ErrorSerializer

from . import selectors
from .permissions import CanViewReports


class RiskLevelsSerializer(serializers.Serializer):
    low = serializers.IntegerField()
    medium = serializers.IntegerField()
    high = serializers.IntegerField()


class SupplierFiguresSerializer(serializers.Serializer):
    production_total = serializers.IntegerField(
        help_text="Production suppliers admitted at some moment of the year."
    )
    mainland_china = serializers.IntegerField()
    other_regions = serializers.IntegerField(help_text="Hong Kong, Macau, Taiwan and every other country.")
    by_risk_level = RiskLevelsSerializer(
        help_text="Risk level of the year's production suppliers at year end."
    )
    not_admitted_red_line = serializers.IntegerField(
        help_text="Suppliers not admitted during the year because of red-line findings."
    )
    csr_agreement_signed_pct = serializers.FloatField(
        help_text="Share of the year's production suppliers with a CSR Agreement in force at year end, in %."
    )


class PerformanceSerializer(serializers.Serializer):
    high_pct = serializers.FloatField()
    medium_pct = serializers.FloatField()
    low_pct = serializers.FloatField()


class AuditFiguresSerializer(serializers.Serializer):
    completed = serializers.IntegerField(
        help_text="Suppliers with an audit ending in the year, report accepted."
    )
    completed_prior_year = serializers.IntegerField()
    change = serializers.IntegerField()
    performance = PerformanceSerializer(help_text="Bands of each supplier's latest audit of the year, in %.")


class RectificationSerializer(serializers.Serializer):
    findings = serializers.IntegerField()
    closed_on_time = serializers.IntegerField()
    closed_late = serializers.IntegerField()
    open_within_deadline = serializers.IntegerField()
    overdue = serializers.IntegerField()


class MineralSerializer(serializers.Serializer):
    smelters = serializers.IntegerField()
    conformant = serializers.IntegerField()
    conformant_pct = serializers.FloatField()


class MineralFiguresSerializer(serializers.Serializer):
    smelters_total = serializers.IntegerField()
    countries = serializers.IntegerField()
    conformant_pct = serializers.FloatField()
    by_mineral = serializers.DictField(child=MineralSerializer(), help_text="Keyed by mineral, e.g. cobalt.")


@extend_schema_serializer(many=False)  # one report, though the route is the viewset's list
class EsgReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    suppliers = SupplierFiguresSerializer()
    audits = AuditFiguresSerializer()
    rectification = RectificationSerializer()
    minerals = MineralFiguresSerializer()


class YearErrorSerializer(serializers.Serializer):
    year = serializers.ListField(child=serializers.CharField())


class EsgReportViewSet(ApiErrorsMixin, viewsets.ViewSet):
    permission_classes = [CanViewReports]

    @extend_schema(
        summary="The annual ESG report",
        description="Supplier counts by region and risk level, suppliers not admitted for red-line issues, "
        "CSR Agreement coverage, audits completed and the change on the prior year, performance bands, "
        "rectification status and smelters by mineral, for one year. Procurement staff and ESG managers "
        "only.",
        tags=["reports"],
        parameters=[
            OpenApiParameter(
                "year",
                # The range ``selectors.report_year`` enforces (the current year when the server started).
                {"type": "integer", "minimum": selectors.MIN_YEAR, "maximum": timezone.localdate().year},
                required=True,
                description=f"From {selectors.MIN_YEAR} to the current year; any other answers 400.",
            )
        ],
        responses={
            200: EsgReportSerializer,
            400: OpenApiResponse(YearErrorSerializer, description="No or an invalid year."),
            403: OpenApiResponse(ErrorSerializer, description="Not procurement staff or an ESG manager."),
        },
    )
    def list(self, request):
        try:
            year = selectors.report_year(value=request.query_params.get("year"))
        except selectors.InvalidYear as invalid:
            return Response({"year": [invalid.message]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(selectors.esg_report(year=year))


router = SimpleRouter()
router.register("reports/esg", EsgReportViewSet, basename="esg-report")
