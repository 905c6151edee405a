"""``extensions/``: the extension requests of the findings the caller sees, and an ESG manager's decision."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audits import services
from audits.models import ExtensionRequest

from ..permissions import CanDecideExtensions, extensions_visible_to
from ..serializers import DecisionSerializer, ExtensionSerializer
from .base import AuditApiMixin, AuditPagination
from .schema import errors, post_schema


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
