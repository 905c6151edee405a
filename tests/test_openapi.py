import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.fixture
def local_static(settings):
    """Serve static files from the installed apps (no collectstatic in tests), as ``runserver`` does."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    return Client()


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert target.stat().st_size > 0


def test_every_api_operation_documents_its_request_and_response(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
    ]
    assert {path for path, _, _ in operations} >= {
        "/api/v1/auth/token/",
        "/api/v1/suppliers/",
        "/api/v1/suppliers/{id}/",
        "/api/v1/suppliers/{id}/admission-check/",
        "/api/v1/suppliers/{id}/transition/",
        "/api/v1/suppliers/{id}/transitions/",
        "/api/v1/suppliers/{id}/risk/",
        "/api/v1/suppliers/{id}/risk/override/",
        "/api/v1/suppliers/{id}/risk/recompute/",
    }
    for path, method, operation in operations:
        success = [code for code in operation["responses"] if code.startswith("2") and code != "204"]
        assert success, f"{method.upper()} {path} documents no success response"
        assert all("content" in operation["responses"][code] for code in success), f"{method.upper()} {path}"
    with_body = {
        ("/api/v1/auth/token/", "post"),
        ("/api/v1/suppliers/", "post"),
        ("/api/v1/suppliers/{id}/", "put"),
        ("/api/v1/suppliers/{id}/", "patch"),
        ("/api/v1/suppliers/{id}/transition/", "post"),
        ("/api/v1/suppliers/{id}/risk/override/", "post"),
    }
    for path, method in with_body:
        assert "requestBody" in schema["paths"][path][method], (
            f"{method.upper()} {path} documents no request body"
        )
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert token["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Token")
    refused = schema["paths"]["/api/v1/suppliers/{id}/transition/"]["post"]["responses"]["409"]
    assert refused["content"]["application/json"]["schema"]["$ref"].endswith("/TransitionRefused")


def test_schema_is_served(client):
    response = client.get(reverse("schema"))
    assert response.status_code == 200
    assert b"/api/v1/suppliers/" in response.content


@pytest.mark.parametrize("page", ["swagger-ui", "redoc"])
def test_docs_page_loads_its_assets_from_our_static_files(local_static, page):
    response = local_static.get(reverse(page))
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), "the page refers to an outside address"
    assets = [url for url in URL.findall(html) if url.endswith((".js", ".css"))]
    assert assets
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        served = local_static.get(asset)
        assert served.status_code == 200, asset
        assert len(b"".join(served.streaming_content)) > 1000, asset
