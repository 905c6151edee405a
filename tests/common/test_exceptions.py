"""One error vocabulary (``common.exceptions``) and one API handler (``common.errors.exception_handler``):
every app's refusals answer with the status and body the schema declares, and every API view uses it."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from audits import services as audits
from common.errors import exception_handler
from common.exceptions import Conflict, Invalid
from common.files import UploadRejected
from minerals import services as minerals
from suppliers import lifecycle, risk


def _answer(exc) -> tuple[int, dict]:
    response = exception_handler(exc, {})
    return response.status_code, response.data


@pytest.mark.parametrize(
    ("exc", "status", "body"),
    [
        (audits.Invalid("The actual end is before the actual start.", field="actual_end"), 400,
         {"detail": "The actual end is before the actual start.", "field": "actual_end"}),
        (audits.Conflict("Finding F-1 is closed."), 409, {"detail": "Finding F-1 is closed."}),
        (minerals.Invalid("Choose at least one file.", field="files"), 400,
         {"detail": "Choose at least one file.", "field": "files"}),
        (minerals.DeclarationUnreadable("a.xlsx: unknown template 'X'.", field="file"), 400,
         {"detail": "a.xlsx: unknown template 'X'.", "field": "file"}),
        (lifecycle.TransitionRefused("S-1 cannot be admitted:", unmet=["No CSR Agreement."]), 409,
         {"detail": "S-1 cannot be admitted:", "unmet": ["No CSR Agreement."]}),
        (lifecycle.TransitionRefused("A supplier in status 'Exited' cannot move to 'Admitted'."), 409,
         {"detail": "A supplier in status 'Exited' cannot move to 'Admitted'.", "unmet": []}),
        (risk.OverrideRefused("A risk override needs a reason.", field="reason"), 400,
         {"detail": "A risk override needs a reason.", "field": "reason"}),
        (UploadRejected("big.xlsx: the file is larger than 25 MB.", status_code=413), 413,
         {"detail": "big.xlsx: the file is larger than 25 MB."}),
    ],
)  # fmt: skip
def test_each_apps_refusal_answers_with_its_status_and_body(exc, status, body):
    assert _answer(exc) == (status, body)


@pytest.mark.parametrize(
    ("app_error", "common_error"),
    [
        (audits.Invalid, Invalid),
        (audits.Conflict, Conflict),
        (minerals.Invalid, Invalid),
        (minerals.DeclarationUnreadable, Invalid),
        (lifecycle.TransitionRefused, Conflict),
        (risk.OverrideRefused, Invalid),
    ],
)
def test_a_caller_may_catch_the_apps_error_or_the_common_one(app_error, common_error):
    kwargs = {} if app_error is lifecycle.TransitionRefused else {"field": "x"}
    with pytest.raises(common_error, match="refused"):
        raise app_error("refused", **kwargs)


def _api_views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if prefix.startswith("api/") and view is not None and issubclass(view, APIView):
                yield prefix + str(pattern.pattern), view


def test_every_api_view_answers_errors_through_the_one_handler():
    views = list(_api_views(get_resolver().url_patterns))

    assert len(views) > 20
    wrong = [route for route, view in views if view().get_exception_handler() is not exception_handler]
    assert not wrong, wrong
