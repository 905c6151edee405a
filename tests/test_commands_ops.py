"""ensure_admin: the login printed for the person running the project works."""

import re
import stat

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.http import HttpRequest

pytestmark = pytest.mark.django_db

LOGIN = re.compile(r"Admin login: http://127\.0\.0\.1:8000/admin/  user: (\S+)  password: (\S+)")


def run_ensure_admin(capsys, *args) -> tuple[str, str]:
    call_command("ensure_admin", *args)
    match = LOGIN.search(capsys.readouterr().out)
    assert match, "ensure_admin printed no login"
    return match.group(1), match.group(2)


def test_creates_the_admin_with_the_password_from_the_environment(client, capsys, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "a-long-admin-password-42")

    username, password = run_ensure_admin(capsys)

    assert (username, password) == ("admin", "a-long-admin-password-42")
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert client.login(request=HttpRequest(), username="admin", password="a-long-admin-password-42")
    assert client.get("/admin/").status_code == 200


def test_a_rerun_without_admin_password_sets_a_fresh_password_that_works(client, capsys, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "a-long-admin-password-42")
    run_ensure_admin(capsys)
    monkeypatch.delenv("ADMIN_PASSWORD")

    _, first = run_ensure_admin(capsys)
    _, second = run_ensure_admin(capsys)

    assert len({first, second, "a-long-admin-password-42"}) == 3
    assert len(first) >= 20
    assert not client.login(request=HttpRequest(), username="admin", password=first)
    assert client.login(request=HttpRequest(), username="admin", password=second)
    assert get_user_model().objects.filter(username="admin").count() == 1


def test_the_login_file_is_readable_by_its_owner_only(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    login_file = tmp_path / "var" / "admin-login.txt"

    _, password = run_ensure_admin(capsys, "--login-file", str(login_file))

    assert password in login_file.read_text()
    assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
