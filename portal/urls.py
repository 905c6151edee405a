"""The portal at /portal/: outside users' pages. Each area's views module declares its own routes."""

from .views import agency, agreements, auth, declarations, findings, inbox

app_name = "portal"

urlpatterns = [
    *auth.urlpatterns,
    *inbox.urlpatterns,
    *findings.urlpatterns,
    *declarations.urlpatterns,
    *agreements.urlpatterns,
    *agency.urlpatterns,
]
