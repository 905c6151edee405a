from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

# The API documentation pages work under the Content-Security-Policy: Swagger UI's start-up script is served
# as a file (?script), and templates/drf_spectacular/ gives the inline parts the request's nonce. Redoc adds
# <style> elements as its script loads, before it can be handed a nonce, and searches in a worker it makes
# from a blob: its page alone allows inline styles and blob: workers (its scripts stay as strict).
redoc = csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
    SpectacularRedocView.as_view(url_name="schema")
)

urlpatterns = [
    path("admin/dashboard/", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("portal/", include("portal.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", redoc, name="redoc"),
    # Uploaded files are served only here, scoped like their records; never from a media URL.
    path("files/", include("common.urls")),
]

# A URL under /api/ that matches no route answers JSON like the API's other 404s.
handler404 = "common.errors.not_found"
