"""Downloads of stored files: the one way a browser gets an uploaded file (see ``common.files``)."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from common.files import PrivateFileField, file_response
from common.filters import BIGINT_MAX


@require_safe
def private_file(request: HttpRequest, label: str, pk: int) -> HttpResponse:
    """The file of field ``label`` (``app.model.field``) of record ``pk``, for a signed-in user whose scope
    holds the record; anything else is a 404, whether the record exists or not."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        app_label, model_name, field_name = label.split(".")
        field = apps.get_model(app_label, model_name)._meta.get_field(field_name)
    except (ValueError, LookupError, FieldDoesNotExist) as exc:
        raise Http404("No such file.") from exc
    if not isinstance(field, PrivateFileField) or pk > BIGINT_MAX:  # a longer number names no row
        raise Http404("No such file.")
    record = get_object_or_404(field.records_visible_to(request.user), pk=pk)
    return file_response(getattr(record, field.attname))
