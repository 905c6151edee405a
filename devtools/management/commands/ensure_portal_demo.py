"""Give a demo supplier contact and a demo auditor a portal password and print both logins
(``devtools.demo.portal``; ``make run``)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from devtools.demo.portal import demo_portal_logins, write_logins


class Command(BaseCommand):
    help = "Print a working portal login of a demo supplier contact and of a demo auditor (fresh passwords)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--login-file", type=Path, help="Also write the logins here, readable by its owner only."
        )

    def handle(self, *args, login_file: Path | None, **options):
        logins = demo_portal_logins()
        if not logins:
            self.stdout.write("No demo audits yet: run seed_demo and seed_demo_audits first.")
            return
        for login in logins:
            self.stdout.write(str(login))
        if login_file is not None:
            write_logins(logins, login_file)
