from django.core.management.base import BaseCommand
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from audits.models import Audit
from devtools.demo.audits import demo_audits_seed

DEMO_SCHEDULE = "Demo: reminders every minute"


class Command(BaseCommand):
    help = "Add demo audits, findings and corrective action to the demo register (after seed_demo)."

    def add_arguments(self, parser):
        parser.add_argument("--audits", type=int, default=60)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when audits exist.")
        parser.add_argument(
            "--demo-schedule",
            action="store_true",
            help=f"Also run the reminders every minute ('{DEMO_SCHEDULE}'), to watch them work locally.",
        )

    def handle(self, *args, audits: int, seed: int, if_empty: bool, demo_schedule: bool, **options):
        if demo_schedule:
            every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.MINUTES)
            PeriodicTask.objects.get_or_create(
                name=DEMO_SCHEDULE,
                defaults={
                    "task": "reminders.tasks.run_daily_reminders",
                    "interval": every_minute,
                    "description": "Local demo only: disable or delete it in a real installation.",
                },
            )
        if if_empty and Audit.objects.exists():
            self.stdout.write(f"{Audit.objects.count():,} audits already exist; no demo audits added.")
            return
        self.stdout.write(str(demo_audits_seed(audits=audits, seed=seed)))
