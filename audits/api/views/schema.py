"""How the audit API's operations are documented: the error answers each may give and the schema of a POST
action (its request, answer, errors and ``Idempotency-Key`` header).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from common.errors import ErrorSerializer, InvalidInputSerializer
from common.idempotency import HEADER as IDEMPOTENCY_HEADER

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
