"""Make sure the local superuser exists and print a login that works (see ``suppliers.accounts``)."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand

from suppliers.accounts import admin_login_ensure


class Command(BaseCommand):
    help = (
        "Create the superuser if missing and set its password: ADMIN_PASSWORD from the environment, "
        "or a fresh random one. Prints the login."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--login-file", type=Path, help="Also write the login to this file, readable by its owner only."
        )

    def handle(self, *args, username: str, email: str, login_file: Path | None, **options):
        login = admin_login_ensure(
            username=username,
            email=email,
            password=os.environ.get("ADMIN_PASSWORD") or None,
            login_file=login_file,
        )
        self.stdout.write(str(login))
