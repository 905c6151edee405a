"""``audits/``: the audit list and page, the agency's edits, findings and report, and the ESG manager's
acceptance or return of the report.
"""

from __future__ import annotations

import django_filters
from django.db.models import Count
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from audits import services
from audits.models import Audit
from common.api import download_responses
from common.files import file_response

from ..permissions import AgencyWork, CanAcceptAudits, audits_visible_to, findings_visible_to
from ..serializers import (
    AcceptedAuditSerializer,
    AuditSerializer,
    AuditUpdateSerializer,
    FileUploadSerializer,
    FindingSerializer,
    FindingWriteSerializer,
    ReturnRequestSerializer,
)
from .base import AuditApiMixin, AuditPagination
from .schema import errors, post_schema


class AuditFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Audit.Status.choices, help_text="Repeat for several."
    )
    supplier = django_filters.CharFilter(field_name="supplier__code", help_text="Supplier code.")
    type = django_filters.ChoiceFilter(choices=Audit.Type.choices)

    class Meta:
        model = Audit
        fields = ["status", "supplier", "type"]


@extend_schema_view(
    list=extend_schema(
        summary="List audits",
        description="Auditors: their agency's audits. ESG managers and procurement: all. Supplier contacts: "
        "their supplier's accepted and closed audits.",
    ),
    retrieve=extend_schema(summary="One audit", responses={200: AuditSerializer, **errors(404)}),
    partial_update=extend_schema(
        summary="Record the audit's dates, score, summary, site or lead auditor",
        description="The agency's auditors, while the audit is planned or in progress; setting the actual "
        "start starts it. A submitted or accepted audit answers 409.",
        request=AuditUpdateSerializer,
        responses={200: AuditSerializer, **errors(400, 403, 404, 409)},
    ),
)
@extend_schema(tags=["audits"])
class AuditViewSet(AuditApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditSerializer
    permission_classes = [AgencyWork]
    pagination_class = AuditPagination
    filterset_class = AuditFilter
    search_fields = ["reference", "supplier__code", "supplier__name", "site"]
    ordering_fields = ["planned_start", "actual_end", "reference", "status"]
    ordering = ["-planned_start", "-pk"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Audit.objects.none()
        return (
            audits_visible_to(user=self.request.user)
            .select_related("supplier", "agency", "lead_auditor__user")
            .annotate(findings_count=Count("findings"))
        )

    def _reload(self, audit: Audit) -> Audit:
        return self.get_queryset().get(pk=audit.pk)

    def partial_update(self, request, pk=None):
        audit = self.get_object()
        data = AuditUpdateSerializer(data=request.data, audit=audit, partial=True)
        data.is_valid(raise_exception=True)
        services.audit_update(audit=audit, by=request.user, **data.validated_data)
        return Response(AuditSerializer(self._reload(audit)).data)

    @extend_schema(
        methods=["GET"],
        summary="The audit's findings",
        responses={200: FindingSerializer(many=True), **errors(404)},
    )
    @post_schema(
        summary="Record a finding",
        description="The agency's auditors, while the audit is in progress. The provision is given by code "
        "(e.g. 'A3') or id; a red-line finding is priority.",
        request=FindingWriteSerializer,
        response=FindingSerializer,
        code=201,
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def findings(self, request, pk=None):
        audit = self.get_object()
        if request.method == "GET":
            findings = (
                findings_visible_to(user=request.user)
                .filter(audit=audit)
                .select_related("audit__supplier", "provision", "cap")
                .order_by("number")
            )
            return Response(
                FindingSerializer(findings, many=True, context=self.get_serializer_context()).data
            )
        data = FindingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = services.finding_create(audit=audit, by=request.user, **data.validated_data)
        return Response(
            FindingSerializer(finding, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        summary="Download the audit report",
        description="The report file as an attachment, in the type detected from its content.",
        responses=download_responses("The audit report."),
    )
    @post_schema(
        summary="Upload the audit report",
        description="Multipart field 'file'. Replaces an earlier report while the audit is planned or in "
        "progress. The answer carries the file's SHA-256.",
        request=FileUploadSerializer,
        response=AuditSerializer,
        upload=True,
    )
    @action(
        detail=True, methods=["get", "post"], filter_backends=[], parser_classes=[MultiPartParser, FormParser]
    )
    def report(self, request, pk=None):
        audit = self.get_object()
        if request.method == "GET":
            return file_response(audit.report)
        data = FileUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.audit_attach_report(audit=audit, upload=data.validated_data["file"], by=request.user)
        return Response(AuditSerializer(self._reload(audit)).data)

    @post_schema(
        summary="Submit the report",
        description="Needs actual start and end, score and the report file. Afterwards nothing of the audit "
        "or its findings can be changed by the agency (409).",
        request=None,
        response=AuditSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def submit(self, request, pk=None):
        audit = services.audit_submit(audit=self.get_object(), by=request.user)
        return Response(AuditSerializer(self._reload(audit)).data)

    @post_schema(
        summary="Accept the report",
        description="ESG managers (``audits.accept_audit``). Fixes each finding's CAP and rectification due "
        "dates from today's policy (listed in the answer) and sets the performance band.",
        request=None,
        response=AcceptedAuditSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[], permission_classes=[CanAcceptAudits])
    def accept(self, request, pk=None):
        audit = services.audit_accept(audit=self.get_object(), by=request.user)
        audit = self.get_queryset().prefetch_related("findings").get(pk=audit.pk)
        return Response(AcceptedAuditSerializer(audit).data)

    @post_schema(
        summary="Return the report to the agency",
        description="ESG managers (``audits.accept_audit``), with a reason; the audit is in progress again.",
        request=ReturnRequestSerializer,
        response=AuditSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="return",
        url_name="return",
        filter_backends=[],
        permission_classes=[CanAcceptAudits],
    )
    def return_report(self, request, pk=None):
        audit = self.get_object()
        data = ReturnRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.audit_return(audit=audit, by=request.user, reason=data.validated_data["reason"])
        return Response(AuditSerializer(self._reload(audit)).data)
