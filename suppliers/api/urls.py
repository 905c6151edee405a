"""Routes of the supplier register's API; ``config.api_urls`` mounts them under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .views import SupplierViewSet

router = SimpleRouter()
router.register("suppliers", SupplierViewSet, basename="supplier")

urlpatterns = router.urls
