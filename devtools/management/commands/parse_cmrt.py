"""``manage.py parse_cmrt FILE [--json]``: print a CMRT/EMRT's content and issues (nothing is saved).

Exit status 0 without errors, 1 with errors, 2 when the file cannot be read as a CMRT/EMRT.
"""

import sys

from django.core.management.base import BaseCommand

from minerals.cmrt.cli import run


class Command(BaseCommand):
    help = "Parse a CMRT/EMRT workbook and print its content and issues; nothing is saved."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="A filled CMRT or EMRT (.xlsx).")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, file, json=False, **options):
        status = run(file, as_json=json, stdout=self.stdout, stderr=self.stderr)
        if status:
            sys.exit(status)
