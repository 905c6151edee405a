"""``findings/``: the finding list and page, the agency's changes, and each finding's evidence, corrective
action plan, closure verification, progress reports and extension requests.
"""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from audits import services
from audits.models import CorrectiveActionPlan, Evidence, Finding, Severity
from common.api import download_responses
from common.files import file_response
from common.filters import IdFilter

from ..permissions import (
    SUPPLIER_EVIDENCE,
    AgencyOrSupplierWork,
    AgencyWork,
    CanReviewCaps,
    CanVerifyClosures,
    SupplierWork,
    audits_visible_to,
    evidence_visible_to,
    findings_visible_to,
    is_agency_auditor,
    refuse_verification_method,
)
from ..serializers import (
    CapReviewSerializer,
    CapSerializer,
    CapSubmitSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    ExtensionRequestSerializer,
    ExtensionSerializer,
    FindingDetailSerializer,
    FindingSerializer,
    FindingWriteSerializer,
    NoteSerializer,
    ProgressSerializer,
    ProgressSubmitSerializer,
    VerifyRequestSerializer,
)
from .base import AuditApiMixin, AuditPagination
from .schema import errors, post_schema


class FindingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("open", "Open"), ("closed", "Closed")], method="filter_status", help_text="open or closed."
    )
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, help_text="Repeat for several.")
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="true: past the rectification due date and not closed, today."
    )
    cap_status = django_filters.ChoiceFilter(
        field_name="cap__status", choices=CorrectiveActionPlan.Status.choices
    )
    audit = IdFilter(field_name="audit_id", help_text="Audit id.")
    supplier = django_filters.CharFilter(field_name="audit__supplier__code", help_text="Supplier code.")

    class Meta:
        model = Finding
        fields = ["status", "severity", "overdue", "cap_status", "audit", "supplier"]

    def filter_status(self, queryset, name, value):
        return queryset.open() if value == "open" else queryset.filter(closed_at__isnull=False)

    def filter_overdue(self, queryset, name, value):
        overdue = Finding.objects.overdue(on=timezone.localdate()).values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)


@extend_schema_view(
    list=extend_schema(
        summary="List findings",
        description="Scoped per role: auditors see their agency's audits' findings, supplier contacts their "
        "supplier's findings of accepted audits, ESG managers and procurement all.",
    ),
    retrieve=extend_schema(summary="One finding", responses={200: FindingDetailSerializer, **errors(404)}),
    update=extend_schema(
        summary="Replace a finding",
        description="The agency's auditors, until the report is submitted (409 after).",
        request=FindingWriteSerializer,
        responses={200: FindingDetailSerializer, **errors(400, 403, 404, 409)},
    ),
    partial_update=extend_schema(
        summary="Change a finding",
        description="The agency's auditors, until the report is submitted (409 after).",
        request=FindingWriteSerializer,
        responses={200: FindingDetailSerializer, **errors(400, 403, 404, 409)},
    ),
)
@extend_schema(tags=["findings"])
class FindingViewSet(
    AuditApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = FindingSerializer
    permission_classes = [AgencyWork]
    pagination_class = AuditPagination
    filterset_class = FindingFilter
    search_fields = ["description", "provision__code", "audit__reference", "audit__supplier__code"]
    ordering_fields = ["rectification_due", "cap_due", "severity", "audit__reference"]
    ordering = ["audit__reference", "number"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Finding.objects.none()
        findings = findings_visible_to(user=self.request.user).select_related(
            "audit__supplier", "provision", "cap"
        )
        if self.action != "list":
            findings = findings.select_related(
                "cap__submitted_by", "cap__reviewed_by", "verification__verified_by"
            )
        return findings

    def get_serializer_class(self):
        if self.action == "list":
            return FindingSerializer
        # An action that reads a plan, a note... names its serializer: the browsable API's forms are built
        # from it (and from the answer's object, e.g. the corrective action plan).
        handler = getattr(self, self.action or "", None)
        return getattr(handler, "kwargs", {}).get("serializer_class") or FindingDetailSerializer

    def _detail(self, finding: Finding) -> Response:
        finding = self.get_queryset().get(pk=finding.pk)
        return Response(FindingDetailSerializer(finding, context=self.get_serializer_context()).data)

    def _update(self, request, *, partial: bool) -> Response:
        finding = self.get_object()
        data = FindingWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        services.finding_update(finding=finding, by=request.user, **data.validated_data)
        return self._detail(finding)

    def update(self, request, pk=None):
        return self._update(request, partial=False)

    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    # Evidence ---------------------------------------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="The finding's evidence",
        description="Supplier contacts see rectification and progress evidence only.",
        responses={200: EvidenceSerializer(many=True), **errors(404)},
    )
    @post_schema(
        summary="Add evidence",
        description="Multipart 'file', optional 'description' and 'purpose'. Auditors add audit evidence "
        "while the audit is open; supplier contacts add rectification or progress evidence until the "
        "finding is closed. The answer carries the file's SHA-256.",
        request=EvidenceUploadSerializer,
        response=EvidenceSerializer,
        code=201,
        upload=True,
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
        parser_classes=[MultiPartParser, FormParser],
        permission_classes=[AgencyOrSupplierWork],
    )
    def evidence(self, request, pk=None):
        finding = self.get_object()
        if request.method == "GET":
            items = evidence_visible_to(user=request.user, finding=finding).select_related("uploaded_by")
            return Response(EvidenceSerializer(items, many=True).data)
        data = EvidenceUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        by_auditor = is_agency_auditor(request.user, finding)
        purpose = data.validated_data.get("purpose") or (
            Evidence.Purpose.FINDING if by_auditor else Evidence.Purpose.RECTIFICATION
        )
        if by_auditor and purpose != Evidence.Purpose.FINDING:
            raise ValidationError({"purpose": ["Auditors add audit evidence: purpose 'finding'."]})
        if not by_auditor and purpose not in SUPPLIER_EVIDENCE:
            raise ValidationError(
                {"purpose": ["Supplier contacts add 'rectification' or 'progress' evidence."]}
            )
        evidence = services.evidence_attach(
            finding=finding,
            upload=data.validated_data["file"],
            by=request.user,
            purpose=purpose,
            description=data.validated_data["description"],
        )
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download an evidence file",
        description="One file of the finding's evidence, as an attachment in the type detected from its "
        "content. Supplier contacts download what the supplier side added; the agency's evidence is "
        "confidential to the agency and the company.",
        responses=download_responses("The evidence file."),
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        url_path=r"evidence/(?P<evidence_id>[0-9]{1,18})",
    )
    def evidence_file(self, request, pk=None, evidence_id=None):
        evidence = get_object_or_404(
            evidence_visible_to(user=request.user, finding=self.get_object()), pk=evidence_id
        )
        return file_response(evidence.file)

    # Corrective action plan -------------------------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="The finding's corrective action plan",
        responses={200: CapSerializer, **errors(404)},
    )
    @post_schema(
        summary="Submit the corrective action plan",
        description="Supplier contacts, once the report is accepted; again after a rejection. The planned "
        "completion is no later than the rectification due date.",
        request=CapSubmitSerializer,
        response=CapSerializer,
    )
    @extend_schema(
        methods=["PUT"],
        summary="Resubmit the corrective action plan",
        description="The same as POST.",
        request=CapSubmitSerializer,
        responses={200: CapSerializer, **errors(400, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["get", "post", "put"],
        filter_backends=[],
        permission_classes=[SupplierWork],
        serializer_class=CapSubmitSerializer,
    )
    def cap(self, request, pk=None):
        finding = self.get_object()
        if request.method == "GET":
            cap = getattr(finding, "cap", None)
            if cap is None:
                raise NotFound(f"Finding {finding.reference} has no corrective action plan.")
            return Response(CapSerializer(cap).data)
        data = CapSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cap = services.cap_submit(finding=finding, by=request.user, **data.validated_data)
        return Response(CapSerializer(cap).data)

    @post_schema(
        summary="Approve or reject the corrective action plan",
        description="ESG managers; a rejection needs a note saying why.",
        request=CapReviewSerializer,
        response=CapSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="cap/review",
        url_name="cap-review",
        filter_backends=[],
        permission_classes=[CanReviewCaps],
    )
    def cap_review(self, request, pk=None):
        finding = self.get_object()
        data = CapReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cap = services.cap_review(finding=finding, by=request.user, **data.validated_data)
        return Response(CapSerializer(cap).data)

    @post_schema(
        summary="Report the plan carried out",
        description="Supplier contacts, for an approved plan, after attaching rectification evidence.",
        request=NoteSerializer,
        response=CapSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="cap/implement",
        url_name="cap-implement",
        filter_backends=[],
        permission_classes=[SupplierWork],
    )
    def cap_implement(self, request, pk=None):
        finding = self.get_object()
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cap = services.cap_implement(finding=finding, by=request.user, note=data.validated_data["note"])
        return Response(CapSerializer(cap).data)

    @post_schema(
        summary="Verify the closure",
        description="ESG managers: a desk review of the evidence, or a follow-up audit (named). Auditors of "
        "the agency assigned to the finding's audit: a follow-up audit only, naming one of their agency's "
        "audits of the supplier. The finding is closed today; the answer shows its rectification status.",
        request=VerifyRequestSerializer,
        response=FindingDetailSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[], permission_classes=[CanVerifyClosures])
    def verify(self, request, pk=None):
        finding = self.get_object()
        data = VerifyRequestSerializer(data=request.data, audits=audits_visible_to(user=request.user))
        data.is_valid(raise_exception=True)
        refused = refuse_verification_method(request.user, finding, data.validated_data["method"])
        if refused:
            raise PermissionDenied(refused)
        services.closure_verify(finding=finding, by=request.user, **data.validated_data)
        return self._detail(finding)

    # Progress and extensions --------------------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="Monthly progress reports",
        responses={200: ProgressSerializer(many=True), **errors(404)},
    )
    @post_schema(
        summary="Report this month's progress",
        description="Supplier contacts, until the finding is closed. One report per month: a second for the "
        "same month replaces the first.",
        request=ProgressSubmitSerializer,
        response=ProgressSerializer,
        code=201,
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
        permission_classes=[SupplierWork],
    )
    def progress(self, request, pk=None):
        finding = self.get_object()
        if request.method == "GET":
            updates = finding.progress_updates.select_related("submitted_by")
            return Response(ProgressSerializer(updates, many=True).data)
        data = ProgressSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        update = services.progress_submit(finding=finding, by=request.user, **data.validated_data)
        return Response(ProgressSerializer(update).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="Extension requests of the finding",
        responses={200: ExtensionSerializer(many=True), **errors(404)},
    )
    @post_schema(
        summary="Request a later rectification due date",
        description="Supplier contacts, with a reason; one pending request at a time. An ESG manager "
        "decides.",
        request=ExtensionRequestSerializer,
        response=ExtensionSerializer,
        code=201,
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
        permission_classes=[SupplierWork],
    )
    def extensions(self, request, pk=None):
        finding = self.get_object()
        if request.method == "GET":
            requests = finding.extensions.select_related("finding__audit", "requested_by", "decided_by")
            return Response(ExtensionSerializer(requests, many=True).data)
        data = ExtensionRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        extension = services.extension_request(finding=finding, by=request.user, **data.validated_data)
        return Response(ExtensionSerializer(extension).data, status=status.HTTP_201_CREATED)
