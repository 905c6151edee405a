"""What every viewset of the audit API shares: uploads stopped at the size limit, errors answered as the
schema declares them (``common.errors``), ``Idempotency-Key`` honoured, internal fields for those who may see
them, and pagination.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.template.defaultfilters import filesizeformat
from rest_framework import status
from rest_framework.pagination import PageNumberPagination

from common.errors import ApiErrorsMixin
from common.files import UploadRejected
from common.idempotency import IdempotentMixin

from ..permissions import sees_audit_internals


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
