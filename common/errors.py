"""Errors of the API as clients see them, and as the OpenAPI schema describes them.

Bodies: ``{"detail": "..."}`` for 401, 403, 404, 405, 409...; 400 names what is wrong, either per field
(``{"<field>": ["message", ...]}``) or for the request as a whole (``{"detail": "...", "field": "<field>"}``):
``InvalidInputSerializer`` is that shape.

``ApiSchema`` documents, on every operation of a view that uses it, the errors any operation of its kind may
answer, unless the operation declares them itself: 401 and 403 where a login is needed, 404 where the path
names an object or the list is paged (a page past the end), 400 where the request carries input (a body, or
filters and paging in the query), 415 where it carries a body. So a client, and the schemathesis pass in
CI (``tests/test_schemathesis.py``), finds every status code and body it can meet in the schema.

``exception_handler`` is the API's one handler, after HackSoft's Django-Styleguide example: a service's
refusal (``common.exceptions.ApplicationError``: ``Invalid`` 400, ``Conflict`` 409, and the apps' errors
derived from them) answers ``{"detail": "...", "field": "<field>"}`` (``field`` when one input is at fault)
plus the error's extras; a rejected upload (``common.files.UploadRejected``) ``{"detail"}`` with its status
(413 too large, else 400), and a request body past Django's limit 413; a Django ``ValidationError`` becomes
DRF's (400 per field). Everything else is DRF's handler, with every error body an object: a check that fails
on the request as a whole (e.g. the search filter refusing a null character) answers ``{"detail": "..."}``,
not a bare list. It is DRF's ``EXCEPTION_HANDLER`` (``config.settings``), so every view of the API answers
through it; ``ApiErrorsMixin`` gives a view the schema and the handler, and every view of the API uses it.

``not_found`` is the project's ``handler404`` (``config.urls``): under /api/ it answers
``{"detail": "Not found."}`` like every other 404 of the API; elsewhere Django's own page.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import ApplicationError
from .files import UploadRejected

API_PREFIX = "/api/"
NOT_FOUND = "Not found."


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class InvalidInputSerializer(serializers.Serializer):
    """400: the input is wrong. Field checks answer ``{"<field>": ["message", ...]}``; checks of the request
    as a whole and of the services' rules answer ``{"detail": "message", "field": "<field>"}``."""

    detail = serializers.CharField(required=False, help_text="What is wrong.")
    field = serializers.CharField(required=False, help_text="The field, parameter or header at fault.")


class InvalidInputSchema(OpenApiSerializerExtension):
    """Field errors are keyed by the field's name: any other property is a list of messages."""

    target_class = InvalidInputSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = {"type": "array", "items": {"type": "string"}}
        return schema


INVALID_INPUT = OpenApiResponse(
    InvalidInputSerializer, description="The input is wrong: the field, parameter or header is named."
)
NOT_AUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No token or session, or an invalid one.")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Signed in, but not allowed to do this.")
NOT_FOUND_RESPONSE = OpenApiResponse(
    ErrorSerializer, description="No such object in the caller's scope, or no such page."
)
UNSUPPORTED_MEDIA_TYPE = OpenApiResponse(
    ErrorSerializer, description="The body is not in one of the documented content types."
)


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, plus the errors every operation of its kind may answer (module docstring)."""

    def _implied_errors(self) -> dict[int, OpenApiResponse]:
        errors: dict[int, OpenApiResponse] = {}
        query = self._get_filter_parameters() or self._get_pagination_parameters()
        if self.method in ("POST", "PUT", "PATCH") or query:
            errors[400] = INVALID_INPUT
        if self.method in ("POST", "PUT", "PATCH"):
            errors[415] = UNSUPPORTED_MEDIA_TYPE
        if self.get_auth():
            errors[401] = NOT_AUTHENTICATED
            errors[403] = FORBIDDEN
        if "{" in self.path or self._get_pagination_parameters():
            errors[404] = NOT_FOUND_RESPONSE
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self._implied_errors().items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        return dict(sorted(responses.items()))


def exception_handler(exc, context) -> Response | None:
    """Every API error as the schema describes it (module docstring)."""
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response({**body, **exc.extra}, status=exc.status_code)
    if isinstance(exc, UploadRejected):
        return Response({"detail": exc.message}, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": "The request body is too large."}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {"detail": " ".join(str(message) for message in response.data)}
    return response


class ApiErrorsMixin:
    """For every view of the API (module docstring)."""

    schema = ApiSchema()

    def get_exception_handler(self):
        return exception_handler


def not_found(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": NOT_FOUND}, status=404)
    return defaults.page_not_found(request, exception)
