"""Routes of the audit programme's API; ``config.api_urls`` mounts them under /api/v1/.

- ``audits/`` (list, detail, PATCH) and ``audits/{id}/findings|report|submit|accept|return/``
- ``findings/`` (list, detail, PUT/PATCH) and ``findings/{id}/evidence|cap|cap/review|cap/implement|verify|
  progress|extensions/``
- ``extensions/`` (list, detail) and ``extensions/{id}/decide/``
"""

from rest_framework.routers import SimpleRouter

from .views import AuditViewSet, ExtensionViewSet, FindingViewSet

router = SimpleRouter()
router.register("audits", AuditViewSet, basename="audit")
router.register("findings", FindingViewSet, basename="finding")
router.register("extensions", ExtensionViewSet, basename="extension")

urlpatterns = router.urls
