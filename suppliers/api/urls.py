"""Routes of the supplier register's API; ``config.api_urls`` mounts them under /api/v1/. The sync routes
(``sync``) name a supplier by its code and a record by its natural key."""

from rest_framework.routers import SimpleRouter

from .sync import AgreementSyncViewSet, AssessmentSyncViewSet
from .sync_suppliers import SupplierSyncViewSet
from .views import SupplierViewSet

SUPPLIER_CODE = r"(?P<code>[^/]+)"

router = SimpleRouter()
# First, so that a code such as "transition" is never read as a supplier id and an action.
router.register("suppliers/by-code", SupplierSyncViewSet, basename="supplier-sync")
router.register("suppliers", SupplierViewSet, basename="supplier")
router.register(
    rf"suppliers/{SUPPLIER_CODE}/agreements", AgreementSyncViewSet, basename="supplier-agreement-sync"
)
router.register(
    rf"suppliers/{SUPPLIER_CODE}/assessments/(?P<kind>[^/]+)",
    AssessmentSyncViewSet,
    basename="supplier-assessment-sync",
)

urlpatterns = router.urls
