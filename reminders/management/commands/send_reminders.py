import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from reminders import services


class Command(BaseCommand):
    help = "Run the daily reminders and escalation now (the same service as the scheduled task)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be sent to whom; write nothing."
        )
        parser.add_argument("--today", help="Run as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, dry_run: bool, today: str | None, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError(f"--today: '{today}' is not a date in the form YYYY-MM-DD.") from None
        if dry_run:
            report = services.dry_run(today=day)
            for email, kind, stage, _number, title in report.would_send:
                self.stdout.write(f"{email}\t{kind}\t{stage}\t{title}")
            recipients = len({row[0] for row in report.would_send})
            self.stdout.write(
                f"dry run: {report.total} reminders would be recorded, {recipients} digests sent"
            )
            return
        report = services.run_reminders(today=day)
        sent = failed = 0
        for digest_id in report.run.digests.values_list("pk", flat=True):
            try:
                sent += services.send_digest(digest_id=digest_id)
            except Exception as error:  # recorded on the digest; the scheduler retries it
                failed += 1
                self.stderr.write(f"digest {digest_id}: {error}")
        by_kind = ", ".join(f"{kind} {n}" for kind, n in report.created.items() if n) or "none"
        self.stdout.write(
            f"reminders {report.total} ({by_kind}), suppliers flagged {report.flagged}, "
            f"digests sent {sent}, failed {failed}"
        )
