"""The audit programme over HTTP: auditors record audits, ESG managers decide, supplier contacts carry out the
corrective action. Each action finds the object in the caller's scope (``permissions``), checks the role,
calls one service of ``audits.services`` and shapes the answer.

Errors (``common.errors.exception_handler``): a service's ``Invalid`` answers 400 ``{"detail", "field"}``,
its ``Conflict`` 409 ``{"detail"}``; a rejected upload 413 (too large) or 400 (wrong type) ``{"detail"}``
naming the file. Every POST honours an
``Idempotency-Key`` header (``common.idempotency``).
"""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from audits import services
from audits.models import Audit, CorrectiveActionPlan, Evidence, ExtensionRequest, Finding, Severity
from common.api import download_responses
from common.errors import ApiErrorsMixin, ErrorSerializer, InvalidInputSerializer
from common.files import UploadRejected, file_response
from common.filters import IdFilter
from common.idempotency import HEADER as IDEMPOTENCY_HEADER
from common.idempotency import IdempotentMixin

from .permissions import (
    SUPPLIER_EVIDENCE,
    AgencyOrSupplierWork,
    AgencyWork,
    CanAcceptAudits,
    CanDecideExtensions,
    CanReviewCaps,
    CanVerifyClosures,
    SupplierWork,
    audits_visible_to,
    evidence_visible_to,
    extensions_visible_to,
    findings_visible_to,
    is_agency_auditor,
    refuse_verification_method,
    sees_audit_internals,
)
from .serializers import (
    AcceptedAuditSerializer,
    AuditSerializer,
    AuditUpdateSerializer,
    CapReviewSerializer,
    CapSerializer,
    CapSubmitSerializer,
    DecisionSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    ExtensionRequestSerializer,
    ExtensionSerializer,
    FileUploadSerializer,
    FindingDetailSerializer,
    FindingSerializer,
    FindingWriteSerializer,
    NoteSerializer,
    ProgressSerializer,
    ProgressSubmitSerializer,
    ReturnRequestSerializer,
    VerifyRequestSerializer,
)

# --- Uploads and errors --------------------------------------------------------------------------------


class UploadLimitHandler(FileUploadHandler):
    """First upload handler of this API's requests: stops reading a multipart body as soon as one file passes
    ``settings.UPLOAD_MAX_BYTES``, removes what the other handlers spooled, and refuses with 413, so that a
    huge upload is neither read to the end nor left on disk. ``inspect_upload`` checks the size again."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = settings.UPLOAD_MAX_BYTES

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            for handler in self.request.upload_handlers:
                if handler is not self:
                    handler.upload_interrupted()
            raise UploadRejected(
                f"{self.file_name}: the file is larger than {filesizeformat(self.limit)}, "
                "the largest accepted.",
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class AuditApiMixin(ApiErrorsMixin, IdempotentMixin):
    def initialize_request(self, request, *args, **kwargs):
        request.upload_handlers.insert(0, UploadLimitHandler(request))
        return super().initialize_request(request, *args, **kwargs)

    def get_serializer_context(self):
        """Whether the caller gets the serializers' internal fields (the schema documents them all)."""
        internal = getattr(self, "swagger_fake_view", False) or sees_audit_internals(self.request.user)
        return {**super().get_serializer_context(), "internal": internal}


class AuditPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


# --- Schema helpers ------------------------------------------------------------------------------------

ERRORS = {
    400: OpenApiResponse(
        InvalidInputSerializer,
        description="The input is wrong, or the Idempotency-Key header is not 1 to 255 printable characters: "
        "the field or header is named.",
    ),
    403: OpenApiResponse(ErrorSerializer, description="The caller sees the object but may not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such object in the caller's scope."),
    409: OpenApiResponse(
        ErrorSerializer,
        description="The object's state forbids this now, or a request with this Idempotency-Key is in "
        "progress.",
    ),
    413: OpenApiResponse(ErrorSerializer, description="The file is larger than the upload limit."),
    422: OpenApiResponse(
        ErrorSerializer, description="The Idempotency-Key was used for a different request."
    ),
}
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (e.g. a UUID). Repeating it replays the first answer instead of acting "
    "again; answers carry 'Idempotent-Replayed: true' when replayed. Kept for 24 hours.",
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


def post_schema(
    *, summary: str, request, response, code: int = 200, description: str = "", upload=False, fails=()
):
    return extend_schema(
        methods=["POST"],
        summary=summary,
        description=description,
        request={"multipart/form-data": request} if upload else request,
        responses={code: response, **errors(400, 403, 404, 409, *fails, 422, *((413,) if upload else ()))},
        parameters=[IDEMPOTENCY_KEY],
    )


# --- Audits --------------------------------------------------------------------------------------------


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


# --- Findings ------------------------------------------------------------------------------------------


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


# --- Extensions ----------------------------------------------------------------------------------------


class ExtensionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ExtensionRequest.Status.choices)

    class Meta:
        model = ExtensionRequest
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(
        summary="List extension requests", description="Those of the findings the caller sees."
    ),
    retrieve=extend_schema(
        summary="One extension request", responses={200: ExtensionSerializer, **errors(404)}
    ),
)
@extend_schema(tags=["findings"])
class ExtensionViewSet(
    AuditApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ExtensionSerializer
    permission_classes = [CanDecideExtensions]
    pagination_class = AuditPagination
    filterset_class = ExtensionFilter
    ordering_fields = ["requested_at", "requested_due"]
    ordering = ["-requested_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExtensionRequest.objects.none()
        return extensions_visible_to(user=self.request.user).select_related(
            "finding__audit", "requested_by", "decided_by"
        )

    @post_schema(
        summary="Approve or reject an extension request",
        description="ESG managers, with a reason. An approval moves the finding's rectification due date "
        "(recorded in its history).",
        request=DecisionSerializer,
        response=ExtensionSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def decide(self, request, pk=None):
        extension = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.extension_decide(extension=extension, by=request.user, **data.validated_data)
        return Response(ExtensionSerializer(self.get_queryset().get(pk=extension.pk)).data)
