"""The local superuser: created or given a fresh password, so that the login shown to whoever runs the
project always works (``manage.py ensure_admin``, ``make run``)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction


@dataclass(frozen=True)
class AdminLogin:
    username: str
    password: str
    created: bool

    def __str__(self) -> str:
        return f"Admin login: http://127.0.0.1:8000/admin/  user: {self.username}  password: {self.password}"


def admin_login_ensure(
    *, username: str = "admin", email: str = "", password: str | None = None, login_file: Path | None = None
) -> AdminLogin:
    """Make sure the superuser ``username`` exists and logs in with ``password``, or with a fresh random one
    when none is given, so that the login shown to the person running the project always works. With
    ``login_file``, the login is also written there, readable by the file's owner only."""
    password = password or secrets.token_urlsafe(18)
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        created = user is None
        if created:
            User.objects.create_superuser(
                username=username, email=email or f"{username}@localhost", password=password
            )
        else:
            user.set_password(password)
            user.is_active = user.is_staff = user.is_superuser = True
            if email:
                user.email = email
            user.save()
    login = AdminLogin(username=username, password=password, created=created)
    if login_file is not None:
        login_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(login_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an existing file keeps its mode on open
        with os.fdopen(descriptor, "w") as handle:
            handle.write(f"{login}\n")
    return login
