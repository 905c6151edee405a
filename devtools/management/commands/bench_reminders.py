"""Benchmark of the daily reminder run.

Builds N open findings (accepted reports, due dates spread from two months ago to ten days ahead, so that
every stage is reached; plans approved and monthly reports filed for most, as in a running programme), then
times the scan that records each finding's stage and prints the time, the
number of queries, the reminders created and the peak memory. Run it on a scratch database: it adds data.

With ``--whole-run`` it gives every bench supplier a contact and one of a few buyers, adds an ESG manager and
a procurement head, and times the whole daily run instead (taking over unfinished runs, scan, flags and
risk, digests; with ``--send`` also rendering and sending every digest to the in-memory mail backend),
printing each phase's time and query count.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python manage.py bench_reminders --findings 1000000
    DATABASE_URL=... python manage.py bench_reminders --findings 1000000 --whole-run --send
"""

from __future__ import annotations

import datetime as dt
import resource
import time
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models.functions import Mod
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from audits.models import Audit, AuditAgency, CodeProvision, CorrectiveActionPlan, Finding, ProgressUpdate
from reminders import registry
from reminders.ladder import Ladder
from reminders.models import ReminderRun
from reminders.services import runs, scanning, sending
from suppliers import roles
from suppliers.models import Contact, Supplier

FINDINGS_PER_AUDIT = 10
AUDITS_PER_SUPPLIER = 2
BENCH_BUYERS = 20


class Command(BaseCommand):
    help = "Build N open findings and time the daily reminder scan over them (use a scratch database)."

    def add_arguments(self, parser):
        parser.add_argument("--findings", type=int, default=100_000)
        parser.add_argument("--reuse", action="store_true", help="Scan existing bench data; build nothing.")
        parser.add_argument(
            "--whole-run",
            action="store_true",
            help="Time the whole daily run (scan, flags, digests), phase by phase, not only the scan.",
        )
        parser.add_argument(
            "--send",
            action="store_true",
            help="With --whole-run: also send every digest (to the in-memory backend).",
        )

    def handle(self, *args, findings: int, reuse: bool, whole_run: bool, send: bool, **options):
        today = timezone.localdate()
        if not reuse:
            started = time.perf_counter()
            self.build(findings, today=today)
            self.analyze()
            self.stdout.write(f"built {findings:,} open findings in {time.perf_counter() - started:.1f} s")
        if whole_run:
            self.add_people()
            self.whole_run(today=today, send=send)
            return
        open_findings = Finding.objects.actionable().issued().open().count()

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ladder = Ladder.current()
        run = ReminderRun.objects.create(day=today)
        kinds = [registry.get("cap_due"), registry.get("rectification_due"), registry.get("progress_missing")]
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            created = {
                kind.key: scanning.scan_kind(kind, run=run, ladder=ladder, today=today) for kind in kinds
            }
            elapsed = time.perf_counter() - started
        by_kind = ", ".join(f"{key} {count:,}" for key, count in created.items())
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        batches = -(
            -max(Finding.objects.order_by("-pk").values_list("pk", flat=True).first() or 0, 1)
            // scanning.SCAN_BATCH
        )
        self.stdout.write(
            f"database: {connection.vendor}\n"
            f"open findings: {open_findings:,}\n"
            f"scan: {elapsed:.2f} s, {len(queries)} queries ({batches} id batches of {scanning.SCAN_BATCH:,} "
            f"per kind, {len(kinds)} kinds)\n"
            f"reminders created: {sum(created.values()):,} ({by_kind})\n"
            f"peak memory of this process: {rss_before:.0f} MB before the scan, {peak_mb:.0f} MB after\n"
            f"findings per second: {open_findings / elapsed:,.0f}"
        )

    def whole_run(self, *, today: dt.date, send: bool) -> None:
        open_findings = Finding.objects.actionable().issued().open().count()
        timings: list[tuple[str, float, int]] = []
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        @contextmanager
        def phase(name: str):
            before, started = queries[0], time.perf_counter()
            yield
            timings.append((name, time.perf_counter() - started, queries[0] - before))

        with connection.execute_wrapper(count):
            started = time.perf_counter()
            # The phases of ``runs.run_reminders``, each timed.
            report, ladder = runs.start_run(today=today)
            with runs.one_run_at_a_time():
                for name, step in runs.PHASES:
                    with phase(name):
                        step(report, ladder)
                runs.finish_run(report)
            run_elapsed = time.perf_counter() - started
            if send:
                locmem = "django.core.mail.backends.locmem.EmailBackend"
                with override_settings(EMAIL_BACKEND=locmem), phase("send"):
                    for digest_id in report.run.digests.values_list("pk", flat=True):
                        sending.send_digest(digest_id=digest_id)
                        mail.outbox = []
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        by_kind = ", ".join(f"{key} {count:,}" for key, count in report.created.items() if count)
        self.stdout.write(f"database: {connection.vendor}\nopen findings: {open_findings:,}")
        for name, elapsed, n in timings:
            self.stdout.write(f"  {name:<10} {elapsed:8.2f} s {n:8,} queries")
        self.stdout.write(
            f"whole run (without sending): {run_elapsed:.2f} s\n"
            f"reminders created: {report.total:,} ({by_kind or 'none'}); taken over: {report.taken_over:,}\n"
            f"suppliers flagged: {report.flagged:,}; digests: {report.digests:,}\n"
            f"peak memory of this process: {peak_mb:.0f} MB"
        )

    def analyze(self) -> None:
        """Refresh the planner's statistics of the tables just filled, as autovacuum would a while later."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for model in (Supplier, Audit, Finding, CorrectiveActionPlan, ProgressUpdate):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    @transaction.atomic
    def add_people(self) -> None:
        """A contact for every bench supplier without one, one of ``BENCH_BUYERS`` buyers each, an ESG manager
        and a procurement head (all idempotent)."""
        users = get_user_model()

        def user(username: str, role: str):
            person, _ = users.objects.get_or_create(
                username=username, defaults={"email": f"{username}@company.example"}
            )
            person.groups.add(Group.objects.get(name=role))
            return person

        buyers = [user(f"bench-buyer-{n}", roles.PROCUREMENT) for n in range(BENCH_BUYERS)]
        user("bench-esg", roles.ESG_MANAGER)
        user("bench-head", roles.PROCUREMENT_HEAD)
        bench = Supplier.objects.filter(code__startswith="BENCH")
        for n, buyer in enumerate(buyers):
            bench.alias(group=Mod("id", BENCH_BUYERS)).filter(group=n).update(buyer=buyer)
        Contact.objects.bulk_create(
            [
                Contact(supplier_id=pk, name="Bench contact", email=f"csr{pk}@bench.example")
                for pk in bench.filter(contacts__isnull=True).values_list("pk", flat=True).iterator()
            ],
            batch_size=5000,
        )

    @transaction.atomic
    def build(self, n: int, *, today: dt.date) -> None:
        agency, _ = AuditAgency.objects.get_or_create(
            code="bench-agency", defaults={"name": "Bench Audit Agency"}
        )
        provision = CodeProvision.objects.filter(active=True).order_by("pk").first()
        n_audits = max(1, -(-n // FINDINGS_PER_AUDIT))
        n_suppliers = max(1, -(-n_audits // AUDITS_PER_SUPPLIER))
        tag = timezone.now().strftime("%H%M%S")
        suppliers = Supplier.objects.bulk_create(
            [
                Supplier(
                    code=f"BENCH{tag}-{i:07d}",
                    name=f"Bench supplier {i}",
                    category="production",
                    tier=1,
                    country="CN",
                    status=Supplier.Status.ADMITTED,
                )
                for i in range(n_suppliers)
            ],
            batch_size=5000,
        )
        accepted = today - dt.timedelta(days=100)
        audits = Audit.objects.bulk_create(
            [
                Audit(
                    reference=f"BENCH{tag}-{i:08d}",
                    supplier=suppliers[i // AUDITS_PER_SUPPLIER],
                    agency=agency,
                    site="Bench site",
                    planned_start=accepted,
                    planned_end=accepted,
                    actual_start=accepted,
                    actual_end=accepted,
                    status=Audit.Status.ACCEPTED,
                    accepted_on=accepted,
                    score=150,
                    performance_band="low",
                )
                for i in range(n_audits)
            ],
            batch_size=5000,
        )
        first_audit = audits[0].pk
        if audits[-1].pk - first_audit != n_audits - 1:
            raise CommandError("Audit ids are not contiguous (another writer?); use a scratch database.")
        self.insert_findings(n, first_audit=first_audit, provision_id=provision.pk, today=today)
        self.insert_follow_up(first_audit=first_audit, today=today)

    def insert_findings(self, n: int, *, first_audit: int, provision_id: int, today: dt.date) -> None:
        """Due dates spread over 70 days: CAPs due from 66 days ago to 3 days ahead, rectification 4 days
        after the CAP."""
        if connection.vendor == "postgresql":
            # Set-based on PostgreSQL: a million rows in seconds.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    INSERT INTO {Finding._meta.db_table}
                        (audit_id, number, provision_id, severity, red_line, description, evidence_notes,
                         cap_due, rectification_due, original_rectification_due, created_at, updated_at)
                    SELECT %s + (g / {FINDINGS_PER_AUDIT}), (g %% {FINDINGS_PER_AUDIT}) + 1, %s,
                           (ARRAY['priority','major','minor'])[1 + g %% 3], '', 'Bench finding', '',
                           %s::date - (g %% 70), %s::date - (g %% 70) + 7, %s::date - (g %% 70) + 7,
                           now(), now()
                    FROM generate_series(0, %s - 1) AS g
                    """,  # noqa: S608 - numbers only
                    [first_audit, provision_id, today + dt.timedelta(days=3), today, today, n],
                )
            return
        batch = []
        for g in range(n):
            offset = g % 70
            batch.append(
                Finding(
                    audit_id=first_audit + g // FINDINGS_PER_AUDIT,
                    number=g % FINDINGS_PER_AUDIT + 1,
                    provision_id=provision_id,
                    severity=("priority", "major", "minor")[g % 3],
                    description="Bench finding",
                    cap_due=today + dt.timedelta(days=3 - offset),
                    rectification_due=today + dt.timedelta(days=7 - offset),
                    original_rectification_due=today + dt.timedelta(days=7 - offset),
                )
            )
            if len(batch) == 5000:
                Finding.objects.bulk_create(batch)
                batch = []
        Finding.objects.bulk_create(batch)

    def insert_follow_up(self, *, first_audit: int, today: dt.date) -> None:
        """As in a running programme: plans approved where the CAP was due over a week ago, and last month's
        progress report filed for four findings in five."""
        month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {CorrectiveActionPlan._meta.db_table}
                    (finding_id, status, root_cause, corrective_action, preventive_action, owner, review_note,
                     implementation_note)
                SELECT id, 'approved', 'r', 'c', 'p', 'o', '', '' FROM {Finding._meta.db_table}
                WHERE audit_id >= %s AND cap_due < %s
                """,  # noqa: S608 - no user input
                [first_audit, today - dt.timedelta(days=7)],
            )
            cursor.execute(
                f"""
                INSERT INTO {ProgressUpdate._meta.db_table}
                    (finding_id, month, percent_complete, note, submitted_at)
                SELECT id, %s, 50, 'On plan', %s FROM {Finding._meta.db_table}
                WHERE audit_id >= %s AND id %% 5 <> 0
                """,  # noqa: S608 - no user input
                [month, timezone.now(), first_audit],
            )
