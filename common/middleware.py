"""Response headers every page and API answer carries (the Content-Security-Policy is django-csp's:
``CONTENT_SECURITY_POLICY`` in the settings)."""

from __future__ import annotations

# Browser features the site never uses, switched off for it and anything it might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "xr-spatial-tracking",
    )
)

# Answers under these paths hold private data (the API, its schema and documentation, stored files): no
# browser or proxy may keep a copy.
PRIVATE_PATH_PREFIXES = ("/api/", "/files/")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.path_info.startswith(PRIVATE_PATH_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response
