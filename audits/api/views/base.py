"""What every viewset of the audit API shares: uploads stopped at the size limit, errors answered as the
schema declares them (``common.errors``), ``Idempotency-Key`` honoured, internal fields for those who may see
them, and pagination.
"""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination

from common.errors import ApiErrorsMixin
from common.files import UploadLimitHandler
from common.idempotency import IdempotentMixin

from ..permissions import sees_audit_internals


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
