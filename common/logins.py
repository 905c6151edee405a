"""Login throttling and lockout: who a login attempt counts against, and what a locked-out caller is told.

django-axes does the counting (settings: ``AXES_*``). It watches Django's ``authenticate()``, so every login
that calls ``authenticate(request, username=..., password=...)`` is covered, whatever page or API it
serves: after ``LOGIN_FAILURE_LIMIT`` failures for one account, or from one address, further attempts are
refused (the right password too) for ``LOGIN_COOLOFF_MINUTES``.

- A login page built on Django forms (the admin's, a later portal's) needs nothing more: axes' middleware
  answers a locked-out attempt with :func:`lockout_response`.
- An API login calls :func:`raise_if_locked_out` after a failed ``authenticate()``, as the token endpoint
  does, and declares :data:`LOCKED_OUT_RESPONSE` in its schema.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from common.errors import ErrorSerializer


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, as the API throttles see it (DRF's ``NUM_PROXIES``): ``REMOTE_ADDR``, or behind
    ``DJANGO_PROXY_COUNT`` trusted proxies, the address the outermost of them put into ``X-Forwarded-For``.
    A client cannot choose it by sending its own ``X-Forwarded-For``."""
    address = BaseThrottle().get_ident(request) or ""
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        # A proxy count larger than the real chain reaches into what the client wrote: count the connection.
        return request.META.get("REMOTE_ADDR")


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    """In the active language (the portal's user's; English elsewhere)."""
    minutes = cooloff_minutes()
    return ngettext(
        "Too many failed logins for this account or from your address: logging in is locked for %(minutes)d "
        "minute. Try again later, or ask an administrator to unlock it.",
        "Too many failed logins for this account or from your address: logging in is locked for %(minutes)d "
        "minutes. Try again later, or ask an administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}


class LoginLocked(exceptions.Throttled):
    """429 with ``{"detail": ...}`` and a ``Retry-After`` header, like DRF's own throttles."""

    default_code = "login_locked"

    def __init__(self):
        super().__init__(detail=lockout_message())
        self.wait = settings.AXES_COOLOFF_TIME.total_seconds()


LOCKED_OUT_RESPONSE = OpenApiResponse(
    ErrorSerializer,
    description="Too many failed logins for this account or from this address (or too many requests): "
    "locked for a while; the detail says how long, the Retry-After header in seconds.",
)


def raise_if_locked_out(request) -> None:
    """After a failed ``authenticate(request, ...)`` in an API view: answer 429 if the account or the address
    is locked out."""
    if getattr(request, "axes_locked_out", False):
        raise LoginLocked()


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page a locked-out login form answers with (``AXES_LOCKOUT_CALLABLE``): the portal's own page, in
    its user's language, for the portal's sign-in; else the admin's."""
    context = {"message": lockout_message(), "login_url": request.get_full_path()}
    if request.path.startswith("/portal/"):
        template = "portal/auth/locked.html"
    else:
        template = "registration/login_locked.html"
        context.update({**admin.site.each_context(request), "title": "Login locked"})
    response = TemplateResponse(request, template, context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response.render()
