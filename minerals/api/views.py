"""Responsible minerals over HTTP: suppliers' CMRT/EMRT declarations (list, detail with smelters and issues,
multipart upload) and the smelter registry (read-only).

Errors (``common.errors.exception_handler``): a service's ``Invalid`` or an unreadable workbook answers 400
``{"detail", "field"}``; a rejected upload 413 (too large) or 400 (not XLSX) ``{"detail"}`` naming the file.
A file the parser finds errors in is still stored (201) with status ``rejected`` and its issues. Every POST
honours an ``Idempotency-Key`` header (``common.idempotency``).
"""

from __future__ import annotations

import django_filters
from django.db.models import Count, Prefetch, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from common.api import download_responses
from common.errors import ApiErrorsMixin, ErrorSerializer, InvalidInputSerializer
from common.files import file_response
from common.filters import IntegerFilter
from common.idempotency import HEADER as IDEMPOTENCY_HEADER
from common.idempotency import IdempotentMixin
from minerals import services
from minerals.models import Declaration, DeclaredSmelter, Family, Mineral, RmapStatus, Smelter

from .permissions import (
    DeclarationAccess,
    declarations_visible_to,
    is_supplier_contact,
    suppliers_declarable_by,
)
from .serializers import (
    DeclarationDetailSerializer,
    DeclarationSerializer,
    DeclarationUploadSerializer,
    SmelterSerializer,
)


class MineralsPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (e.g. a UUID). Repeating it replays the first answer instead of uploading "
    "again; answers carry 'Idempotent-Replayed: true' when replayed. Kept for 24 hours.",
)


# --- Declarations -----------------------------------------------------------------------------------------


class DeclarationFilter(django_filters.FilterSet):
    supplier = django_filters.CharFilter(field_name="supplier__code", help_text="Supplier code.")
    year = IntegerFilter(help_text="Reporting year.")
    family = django_filters.ChoiceFilter(choices=Family.choices)
    status = django_filters.ChoiceFilter(choices=Declaration.Status.choices)

    class Meta:
        model = Declaration
        fields = ["supplier", "year", "family", "status"]


@extend_schema_view(
    list=extend_schema(
        summary="List declarations",
        description="ESG managers and procurement: every supplier's. Supplier contacts: their supplier's.",
    ),
    retrieve=extend_schema(
        summary="One declaration, with its smelters and the issues found in the file",
        responses={
            200: DeclarationDetailSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No such declaration in the caller's scope."),
        },
    ),
    create=extend_schema(
        summary="Upload a CMRT or EMRT file",
        description="Supplier contacts for their own supplier, ESG managers for any. The file is checked "
        "and parsed: without errors it becomes the accepted declaration of the supplier for the year and "
        "template (the previous one is kept as superseded); with errors it is kept as rejected, with its "
        "issues, and the accepted declaration stays. An unreadable file is refused and nothing is stored.",
        request={"multipart/form-data": DeclarationUploadSerializer},
        responses={
            201: DeclarationDetailSerializer,
            400: OpenApiResponse(
                InvalidInputSerializer,
                description="The input or the file is wrong, or the Idempotency-Key header is not 1 to 255 "
                "printable characters: the field or header is named.",
            ),
            403: OpenApiResponse(ErrorSerializer, description="The caller may not upload declarations."),
            409: OpenApiResponse(
                ErrorSerializer, description="A request with this Idempotency-Key is in progress."
            ),
            413: OpenApiResponse(ErrorSerializer, description="The file is larger than the upload limit."),
            422: OpenApiResponse(
                ErrorSerializer, description="The Idempotency-Key was used for a different request."
            ),
        },
        parameters=[IDEMPOTENCY_KEY],
    ),
)
@extend_schema(tags=["minerals"])
class DeclarationViewSet(
    ApiErrorsMixin,
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [DeclarationAccess]
    pagination_class = MineralsPagination
    filterset_class = DeclarationFilter
    search_fields = ["supplier__code", "supplier__name", "filename", "company_name"]
    ordering_fields = ["uploaded_at", "year"]
    ordering = ["-uploaded_at", "-pk"]
    parser_classes = [MultiPartParser, FormParser]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return DeclarationDetailSerializer
        if self.action == "create":
            return DeclarationUploadSerializer
        return DeclarationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Declaration.objects.none()
        queryset = declarations_visible_to(user=self.request.user).select_related("supplier", "uploaded_by")
        queryset = queryset.annotate(
            smelter_count=Count("smelters"),
            unmatched_count=Count("smelters", filter=Q(smelters__smelter__isnull=True)),
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch(
                    "smelters", queryset=DeclaredSmelter.objects.select_related("smelter").order_by("row")
                )
            )
        return queryset

    def create(self, request, *args, **kwargs):
        data = DeclarationUploadSerializer(
            data=request.data,
            suppliers=suppliers_declarable_by(user=request.user),
            own_supplier_default=is_supplier_contact(request.user),
        )
        data.is_valid(raise_exception=True)
        declaration = services.declaration_import(
            supplier=data.validated_data["supplier"],
            year=data.validated_data["year"],
            upload=data.validated_data["file"],
            by=request.user,
        )
        answer = self.get_queryset().prefetch_related(
            Prefetch("smelters", queryset=DeclaredSmelter.objects.select_related("smelter").order_by("row"))
        )
        return Response(
            DeclarationDetailSerializer(answer.get(pk=declaration.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Download the declaration's workbook",
        description="The CMRT or EMRT file as uploaded, as an attachment.",
        responses=download_responses("The declaration's workbook."),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def file(self, request, pk=None):
        return file_response(self.get_object().file)


# --- Smelters -------------------------------------------------------------------------------------------


class SmelterFilter(django_filters.FilterSet):
    metal = django_filters.ChoiceFilter(choices=Mineral.choices)
    rmap_status = django_filters.ChoiceFilter(choices=RmapStatus.choices)
    country = django_filters.CharFilter(
        field_name="country", lookup_expr="iexact", help_text="ISO 3166 code."
    )

    class Meta:
        model = Smelter
        fields = ["metal", "rmap_status", "country"]


@extend_schema_view(
    list=extend_schema(
        summary="List registry smelters",
        description="RMI smelters and refiners with their RMAP status. Search by smelter ID or name.",
    ),
    retrieve=extend_schema(
        summary="One registry smelter",
        responses={
            200: SmelterSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No such smelter."),
        },
    ),
)
@extend_schema(tags=["minerals"])
class SmelterViewSet(
    ApiErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = SmelterSerializer
    queryset = Smelter.objects.current()
    pagination_class = MineralsPagination
    filterset_class = SmelterFilter
    search_fields = ["smelter_id", "name"]
    ordering_fields = ["smelter_id", "name", "status_date"]
    ordering = ["metal", "name"]
