"""What the API's file downloads look like in the OpenAPI schema (the files themselves: ``common.files``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

from common.errors import ErrorSerializer
from common.files import CONTENT_TYPES, UNKNOWN_CONTENT_TYPE


def download_responses(what: str) -> dict:
    """A 200 with the file in its detected type (as an attachment), and a JSON 404."""
    return {
        **{
            (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description=what)
            for content_type in (*CONTENT_TYPES.values(), UNKNOWN_CONTENT_TYPE)
        },
        404: OpenApiResponse(ErrorSerializer, description="Not in your scope, or no file."),
    }
