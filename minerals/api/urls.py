"""Routes of the minerals API; ``config.api_urls`` mounts them under /api/v1/.

- ``declarations/`` (list, multipart upload) and ``declarations/{id}/`` (with smelters and issues)
- ``smelters/`` (list with filters and search) and ``smelters/{id}/``
"""

from rest_framework.routers import SimpleRouter

from .views import DeclarationViewSet, SmelterViewSet

router = SimpleRouter()
router.register("declarations", DeclarationViewSet, basename="declaration")
router.register("smelters", SmelterViewSet, basename="smelter")

urlpatterns = router.urls
