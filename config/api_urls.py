"""Version 1 of the REST API, mounted at /api/v1/ by ``config.urls`` under the namespace ``api``.

Each app keeps its routes in ``<app>/api/urls.py`` as a DRF ``router`` and this module collects them, so
one router (and one namespace) serves every resource. An app adds its routes with one import and one line:

    from audits.api.urls import router as audits_router
    router.registry.extend(audits_router.registry)

Route names are ``api:<basename>-<action>``, e.g. ``api:supplier-list``, ``api:supplier-transition``.
"""

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.routers import SimpleRouter
from rest_framework.throttling import AnonRateThrottle

from audits.api.urls import router as audits_router
from common import logins
from minerals.api.urls import router as minerals_router
from reports.api import router as reports_router
from suppliers.api.urls import router as suppliers_router

app_name = "api"


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send as the header "Authorization: Token <token>".')


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token."""

    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        summary="Obtain an API token",
        description='Send the token on later requests as "Authorization: Token <token>". '
        "The same token is returned until it is revoked.",
        tags=["auth"],
        auth=[],
        request=AuthTokenSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Wrong username or password."),
            429: logins.LOCKED_OUT_RESPONSE,
        },
    )
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            logins.raise_if_locked_out(request)
            raise


router = SimpleRouter()
router.registry.extend(suppliers_router.registry)
router.registry.extend(audits_router.registry)
router.registry.extend(minerals_router.registry)
router.registry.extend(reports_router.registry)

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    *router.urls,
]
