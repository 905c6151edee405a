"""Fill the register with reproducible demo suppliers (see ``devtools.demo.suppliers``)."""

from django.core.management.base import BaseCommand, CommandError

from devtools.demo.suppliers import demo_seed


class Command(BaseCommand):
    help = (
        "Add realistic demo suppliers (contacts, agreements, assessments, lifecycle steps) and assess their "
        "risk. The same --seed gives the same suppliers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--suppliers", type=int, default=2000, help="How many suppliers to add (default 2000)."
        )
        parser.add_argument("--seed", type=int, default=2021, help="Random seed (default 2021).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the register already has suppliers."
        )

    def handle(self, *args, suppliers: int, seed: int, if_empty: bool, **options):
        if suppliers < 1:
            raise CommandError(f"--suppliers must be at least 1, not {suppliers}.")
        summary = demo_seed(suppliers=suppliers, seed=seed, if_empty=if_empty)
        self.stdout.write(str(summary))
