"""Apply a POST once, however often the client sends it: the ``Idempotency-Key`` header.

A client that is not sure its request arrived (timeout, lost connection) sends it again with the same key.
For each (user, key):
- the first request claims the key by inserting an ``IdempotentRequest`` row (committed before the work, so
  a concurrent request with the same key sees it) and is carried out;
- its response (status and body, 4xx included) is stored in the same transaction as the work, so the work
  never commits without its recorded answer;
- a repeat of the same request gets that stored response back, with the header ``Idempotent-Replayed: true``,
  and nothing is done again;
- a repeat while the first is still running gets 409; the same key with a different request (another body,
  other files, another path) gets 422;
- if the work fails (an exception or a 5xx answer) it is rolled back and the key released, so a retry can
  succeed;
- a key that is empty, longer than 255 characters or not printable gets 400
  ``{"detail": ..., "field": "Idempotency-Key"}`` and nothing is done; every POST that honours the header
  declares that answer in the OpenAPI schema.
A claim whose request died without an answer (worker killed) is taken over after ``STALE_AFTER``; the dead
request's work was rolled back with its transaction, and a request that outlives its claim is rolled back
when it finds the claim taken, so the work is still done at most once.

Use ``IdempotentMixin`` on a DRF view or viewset (every POST), or ``apply_once`` directly. Keys are kept for a
day: ``purge_idempotency_keys()`` deletes older ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import is_form_media_type
from rest_framework.response import Response

from .models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 255
KEEP_FOR = dt.timedelta(hours=24)
STALE_AFTER = dt.timedelta(minutes=10)
# The 400 answer's ``detail`` (``{"detail", "field": "Idempotency-Key"}``, as the API's other 400s).
KEY_INVALID = f"{HEADER} must be 1 to {KEY_MAX_LENGTH} printable characters."


class KeyInProgress(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is in progress: retry once it has finished."
    default_code = "idempotency_key_in_progress"


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


class _Abandon(Exception):
    """Roll the work back and answer with ``response``."""

    def __init__(self, response: Response):
        self.response = response


def _file_digest(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def request_fingerprint(request) -> str:
    """SHA-256 of what makes a request this request: method, path, body (for multipart: the form fields and
    each file's name and SHA-256)."""
    if is_form_media_type(request.content_type):
        fields = sorted([name, values] for name, values in request.POST.lists())
        files = sorted(
            [name, upload.name, _file_digest(upload)]
            for name, uploads in request.FILES.lists()
            for upload in uploads
        )
        body = {"fields": fields, "files": files}
    else:
        body = {"data": request.data}
    canonical = json.dumps(
        {"method": request.method, "path": request.path, **body},
        sort_keys=True,
        separators=(",", ":"),
        cls=DjangoJSONEncoder,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _claim(*, user, key: str, method: str, path: str, fingerprint: str) -> tuple[IdempotentRequest, bool]:
    """Insert the key's row (True), or return the row already there (False). A stale unanswered claim of the
    same request is taken over (True)."""
    for _attempt in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                row = IdempotentRequest.objects.create(
                    user=user, key=key, method=method, path=path, request_hash=fingerprint, created_at=now
                )
            return row, True
        except IntegrityError:
            row = IdempotentRequest.objects.filter(user=user, key=key).first()
        if row is None:  # released meanwhile: try again
            continue
        if row.status_code is None and row.request_hash == fingerprint and row.created_at < now - STALE_AFTER:
            taken = IdempotentRequest.objects.filter(
                pk=row.pk, status_code=None, created_at=row.created_at
            ).update(created_at=now)
            if taken:
                row.created_at = now
                return row, True
        return row, False
    raise KeyInProgress()


def _answer_existing(row: IdempotentRequest, *, fingerprint: str) -> Response:
    if row.request_hash != fingerprint:
        raise KeyReused(
            f"This Idempotency-Key was already used for a different request ({row.method} {row.path}): "
            "send a new key with a new request."
        )
    if row.status_code is None:
        raise KeyInProgress()
    return Response(row.response_body, status=row.status_code, headers={REPLAYED_HEADER: "true"})


def _release(row: IdempotentRequest) -> None:
    IdempotentRequest.objects.filter(pk=row.pk, status_code=None, created_at=row.created_at).delete()


def _jsonable(data):
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def apply_once(*, request, key: str, run: Callable[[], Response]) -> Response:
    """Run ``run`` (which turns its own errors into 4xx responses) at most once for this user and key."""
    if not key or len(key) > KEY_MAX_LENGTH or not key.isprintable():
        raise ValidationError({"detail": KEY_INVALID, "field": HEADER})
    fingerprint = request_fingerprint(request)
    row, claimed = _claim(
        user=request.user, key=key, method=request.method, path=request.path[:500], fingerprint=fingerprint
    )
    if not claimed:
        return _answer_existing(row, fingerprint=fingerprint)
    try:
        with transaction.atomic():
            response = run()
            if response.status_code >= 500:
                raise _Abandon(response)
            recorded = IdempotentRequest.objects.filter(
                pk=row.pk, status_code=None, created_at=row.created_at
            ).update(
                status_code=response.status_code, response_body=_jsonable(getattr(response, "data", None))
            )
            if not recorded:  # our claim went stale and another request took it over
                raise _Abandon(Response({"detail": KeyInProgress.default_detail}, status=409))
    except _Abandon as abandoned:
        _release(row)
        return abandoned.response
    except BaseException:
        _release(row)
        raise
    return response


class IdempotentMixin:
    """Every POST with an ``Idempotency-Key`` header (other methods: ``idempotent_methods``) goes through
    ``apply_once``. The key is claimed after authentication and the view-level permission checks, around
    the handler, whose errors (validation, 403, 404, 409...) become the stored answer."""

    idempotent_methods = frozenset({"POST"})

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = request.headers.get(HEADER)
        if key is None or request.method not in self.idempotent_methods or not request.user.is_authenticated:
            return
        method = request.method.lower()
        handler = getattr(self, method, None)
        if handler is None:  # not allowed here: the view answers 405
            return

        def once(request, *args, **kwargs):
            def run() -> Response:
                try:
                    return handler(request, *args, **kwargs)
                except Exception as exc:
                    return self.handle_exception(exc)

            return apply_once(request=request, key=key, run=run)

        # APIView.dispatch looks the handler up after initial(): the wrapped one runs.
        setattr(self, method, once)


def purge_idempotency_keys(*, now: dt.datetime | None = None, keep_for: dt.timedelta = KEEP_FOR) -> int:
    """Delete keys older than ``keep_for`` (a day); returns how many. Safe to run any time."""
    cutoff = (now or timezone.now()) - keep_for
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
