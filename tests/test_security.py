"""Logins lock out after repeated failures (per account and per address), the production settings refuse a
weak secret key, and every answer carries the security headers."""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
import yaml
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from suppliers import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
ADMIN_LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"
PASSWORD = "correct-horse-battery"  # UserFactory's
LOCKED = "logging in is locked for 15 minutes"


@pytest.fixture
def staff():
    return UserFactory(username="esg-staff", role=roles.ESG_MANAGER)


@pytest.fixture
def api():
    return APIClient()


def admin_login(client, username, password, address="192.0.2.10", **headers):
    return client.post(
        ADMIN_LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        headers=headers,
    )


def token_login(api, username, password, address="192.0.2.10", **headers):
    return api.post(
        TOKEN,
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
        headers=headers,
    )


# --- Login lockout --------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_admin_login_of_that_account_even_for_the_right_password(client, staff):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(4):
            response = admin_login(client, staff.username, "wrong-password")
            assert response.status_code == 200
            assert "Please enter the correct username and password" in response.content.decode()

        fifth = admin_login(client, staff.username, "wrong-password")
        assert fifth.status_code == 429
        assert LOCKED in fifth.content.decode()

        # The account, not only the address: the right password from elsewhere is refused too.
        clock.shift(dt.timedelta(minutes=14))
        refused = admin_login(client, staff.username, PASSWORD, address="198.51.100.20")
        assert refused.status_code == 429
        assert LOCKED in refused.content.decode()
        assert "_auth_user_id" not in client.session

        clock.shift(dt.timedelta(minutes=1, seconds=1))  # 15 minutes after the fifth failure
        response = admin_login(client, staff.username, PASSWORD, address="198.51.100.20")
        assert response.status_code == 302
        assert client.get("/admin/").status_code == 200


def test_the_token_endpoint_answers_a_locked_out_account_with_429_and_how_long(api, staff):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(4):
            assert token_login(api, staff.username, "wrong-password").status_code == 400

        fifth = token_login(api, staff.username, "wrong-password")
        assert fifth.status_code == 429
        assert LOCKED in fifth.json()["detail"]
        assert fifth["Retry-After"] == "900"

        right = token_login(api, staff.username, PASSWORD, address="198.51.100.20")
        assert right.status_code == 429
        assert LOCKED in right.json()["detail"]
        assert "token" not in right.json()

        clock.shift(dt.timedelta(minutes=15, seconds=1))
        response = token_login(api, staff.username, PASSWORD, address="198.51.100.20")
        assert response.status_code == 200
        assert response.json()["token"]


@pytest.fixture
def lockouts_in_redis(settings):
    """The production set-up: CACHE_URL names Redis, so every process counts failures in it."""
    import redis
    from axes.handlers.proxy import AxesProxyHandler

    url = "redis://127.0.0.1:6379/7"
    server = redis.Redis.from_url(url)
    try:
        server.ping()
    except redis.ConnectionError:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    server.flushdb()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    settings.AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
    AxesProxyHandler.implementation = None
    yield server
    AxesProxyHandler.implementation = None
    server.flushdb()


def test_a_redis_cache_url_keeps_the_lockout_counters_in_redis(tmp_path):
    def handler(cache_url: str) -> str:
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from django.conf import settings; "
                "print(settings.AXES_HANDLER)",
            ],
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATA_DIR": str(tmp_path),
                "DJANGO_DEBUG": "true",
                "DJANGO_SECRET_KEY": "x" * 60,
                "CACHE_URL": cache_url,
            },
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout.strip()

    assert handler("redis://127.0.0.1:6379/1") == "axes.handlers.cache.AxesCacheHandler"
    assert handler("locmemcache://") == "axes.handlers.database.AxesDatabaseHandler"


def test_with_redis_a_lockout_holds_for_every_process_and_leaves_no_rows(lockouts_in_redis, staff):
    from axes.models import AccessAttempt

    for _ in range(5):
        token_login(APIClient(), staff.username, "wrong-password")

    other_client = APIClient()  # shares nothing with the clients above but the cache
    refused = token_login(other_client, staff.username, PASSWORD, address="198.51.100.20")
    assert refused.status_code == 429
    assert LOCKED in refused.json()["detail"]
    assert lockouts_in_redis.keys("*")
    assert not AccessAttempt.objects.exists()


def test_a_successful_login_clears_the_failures_before_it(client, staff):
    for _ in range(4):
        admin_login(client, staff.username, "wrong-password")
    assert admin_login(client, staff.username, PASSWORD).status_code == 302
    client.logout()

    for _ in range(4):
        assert admin_login(client, staff.username, "wrong-password").status_code == 200


def test_many_usernames_from_one_address_lock_that_address(api, staff):
    for number in range(5):
        token_login(api, f"guess-{number}", "wrong-password", address="203.0.113.9")

    refused = token_login(api, staff.username, PASSWORD, address="203.0.113.9")
    assert refused.status_code == 429
    assert LOCKED in refused.json()["detail"]
    assert token_login(api, staff.username, PASSWORD, address="198.51.100.20").status_code == 200


def test_a_new_forwarded_for_header_per_attempt_does_not_escape_the_lock_when_not_behind_a_proxy(
    client, staff
):
    for number in range(5):
        admin_login(client, f"guess-{number}", "wrong-password", x_forwarded_for=f"10.9.8.{number}")

    refused = admin_login(client, staff.username, PASSWORD, x_forwarded_for="10.9.8.200")
    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()


def test_the_api_throttle_counts_the_connection_not_a_forwarded_for_header_when_not_behind_a_proxy(api):
    for number in range(30):
        response = api.get(TOKEN, REMOTE_ADDR="203.0.113.50", headers={"x-forwarded-for": f"10.0.0.{number}"})
        assert response.status_code == 405  # the token endpoint takes POST only, but every request counts
    throttled = api.get(TOKEN, REMOTE_ADDR="203.0.113.50", headers={"x-forwarded-for": "10.0.1.1"})
    assert throttled.status_code == 429
    assert "throttled" in throttled.json()["detail"]


@pytest.fixture
def behind_one_proxy(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def test_behind_a_proxy_the_address_the_proxy_forwarded_is_locked(behind_one_proxy, api, staff):
    proxy = "10.0.0.2"
    for number in range(5):
        # The client wrote its own X-Forwarded-For; the proxy appended the address it saw.
        token_login(
            api,
            f"guess-{number}",
            "wrong-password",
            address=proxy,
            x_forwarded_for=f"1.2.3.{number}, 203.0.113.9",
        )

    refused = token_login(api, staff.username, PASSWORD, address=proxy, x_forwarded_for="203.0.113.9")
    assert refused.status_code == 429
    other_client = token_login(api, staff.username, PASSWORD, address=proxy, x_forwarded_for="198.51.100.20")
    assert other_client.status_code == 200


def test_the_schema_declares_the_lockout_answer_of_the_token_endpoint(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    locked = schema["paths"][TOKEN]["post"]["responses"]["429"]["content"]["application/json"]["schema"]
    assert locked == {"$ref": "#/components/schemas/Error"}  # the API's one error shape
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]


# --- Production settings ----------------------------------------------------------------------------------

STRONG_KEY = "q3J0-rW9s8n2VZb7yTq1xK4mP6dL0cF5hG8jA2eB9uR3tY7iO1wS"


def start_django(tmp_path, **variables) -> subprocess.CompletedProcess:
    """Import the settings in a fresh process, with an empty DATA_DIR (so no local key file) and these
    variables."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "DATA_DIR", "CACHE_URL"))
    }
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", DATA_DIR=str(tmp_path), DJANGO_SECRET_KEY="")
    environment.update(variables)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "DJANGO_SECRET_KEY is not set"),
        ("short-key", "DJANGO_SECRET_KEY is too weak"),
        (
            "django-insecure-local-development-key-change-me-in-every-deployment",
            "DJANGO_SECRET_KEY is too weak",
        ),
    ],
    ids=["missing", "short", "development key"],
)
def test_without_debug_a_missing_or_weak_secret_key_stops_the_start(tmp_path, key, problem):
    result = start_django(tmp_path, DJANGO_DEBUG="false", DJANGO_SECRET_KEY=key)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert problem in result.stderr
    assert "DJANGO_DEBUG is false" in result.stderr
    assert "Set DJANGO_SECRET_KEY to a long random value" in result.stderr
    assert "started" not in result.stdout


def test_without_debug_a_strong_secret_key_starts(tmp_path):
    result = start_django(tmp_path, DJANGO_DEBUG="false", DJANGO_SECRET_KEY=STRONG_KEY)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_the_local_key_file_is_read_when_no_key_is_set(tmp_path):
    (tmp_path / "secret-key").write_text(STRONG_KEY + "\n")
    result = start_django(tmp_path, DJANGO_DEBUG="false")
    assert result.returncode == 0, result.stderr


def test_debug_accepts_a_weak_key_but_not_none(tmp_path):
    assert start_django(tmp_path, DJANGO_DEBUG="true", DJANGO_SECRET_KEY="short-key").returncode == 0
    missing = start_django(tmp_path, DJANGO_DEBUG="true")
    assert missing.returncode != 0
    assert "DJANGO_SECRET_KEY is not set and DJANGO_DEBUG is true" in missing.stderr


# --- Response headers ---------------------------------------------------------------------------------------


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.partition(" ")[2] for part in policy.split("; ")}


@pytest.mark.parametrize("path", [ADMIN_LOGIN, "/api/schema/", "/api/v1/suppliers/", "/api/docs/"])
def test_every_answer_carries_the_content_security_policy_and_permissions_policy(client, path):
    response = client.get(path)

    policy = directives(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"].startswith("'self'")
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["form-action"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    permissions = response["Permissions-Policy"]
    for feature in ["camera", "microphone", "geolocation", "payment", "usb"]:
        assert f"{feature}=()" in permissions


def test_inline_scripts_of_the_api_docs_run_only_with_the_nonce_of_their_answer(client):
    response = client.get("/api/redoc/")

    nonce = re.search(r"'nonce-([^']+)'", directives(response)["script-src"]).group(1)
    html = response.content.decode()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline_scripts
    assert all(f'nonce="{nonce}"' in attributes for attributes in inline_scripts)
    assert client.get("/api/redoc/")["Content-Security-Policy"] != response["Content-Security-Policy"]


def test_swagger_ui_loads_its_start_up_script_as_a_file(client):
    html = client.get("/api/docs/").content.decode()

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


@pytest.mark.parametrize("path", ["/api/schema/", "/api/v1/suppliers/", "/api/docs/", TOKEN])
def test_api_answers_may_not_be_stored(client, esg_manager, path):
    client.force_login(esg_manager)
    response = client.get(path)
    assert response["Cache-Control"] == "no-store"


def test_a_failed_api_login_may_not_be_stored_either(api):
    response = token_login(api, "nobody", "wrong-password")
    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
