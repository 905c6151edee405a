from django.conf import settings
from django.contrib import admin
from django.template import engines
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.renderers import TemplateHTMLRenderer


class _LocalRedocRenderer(TemplateHTMLRenderer):
    """drf-spectacular's Redoc page without its Google Fonts links: all assets come from our static files."""

    template = engines["django"].from_string(
        '{% extends "drf_spectacular/redoc.html" %}{% block head %}'
        '<title>{{ title|default:"Redoc" }}</title><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>body { margin: 0; padding: 0; }</style>{% endblock head %}"
    )

    def resolve_template(self, template_names):
        return self.template


class LocalRedocView(SpectacularRedocView):
    renderer_classes = [_LocalRedocRenderer]


urlpatterns = [
    path("admin/dashboard/", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", LocalRedocView.as_view(url_name="schema"), name="redoc"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
