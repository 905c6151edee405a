"""The portal's language: a signed-in outside user's stored choice, else the language cookie, else the
browser's ``Accept-Language`` (English or Simplified Chinese); a first visit stores the browser's language as
the user's choice. Only the portal's pages are translated: the admin, the API and the files stay as they are.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from common.accounts import language_remember
from common.files import UploadLimitHandler, UploadRejected
from common.models import PortalAccount

PREFIX = "/portal/"


def _stored_language(user) -> str:
    if not user.is_authenticated:
        return ""
    account = PortalAccount.objects.filter(user=user).only("language").first()
    return account.language if account is not None else ""


class PortalLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        stored = _stored_language(request.user)
        language = stored or translation.get_language_from_request(request)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        if not stored and request.user.is_authenticated:
            language_remember(user=request.user, language=language, only_if_unset=True)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        patch_vary_headers(response, ["Accept-Language", "Cookie"])
        response.headers.setdefault("Content-Language", language)
        return response


class PortalUploadLimitMiddleware:
    """A portal form's uploads stop at ``UPLOAD_MAX_BYTES`` per file while the body is read (the API's
    ``UploadLimitHandler``), before anything else reads it (the CSRF check does), and the user gets a page
    that names the file and the limit, in their language (after ``PortalLanguageMiddleware``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method == "POST"
            and request.path.startswith(PREFIX)
            and request.content_type == "multipart/form-data"
        ):
            request.upload_handlers.insert(0, UploadLimitHandler(request))
            try:
                request.POST  # noqa: B018 - read the body now, within the limit
            except UploadRejected as refused:
                back = request.headers.get("Referer", "")
                if not url_has_allowed_host_and_scheme(
                    back, {request.get_host()}, require_https=request.is_secure()
                ):
                    back = ""
                context = {"message": refused.message, "back": back}
                return render(request, "portal/upload_refused.html", context, status=refused.status_code)
        return self.get_response(request)
