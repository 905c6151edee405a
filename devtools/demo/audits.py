"""Demo audits for a local run: agencies with auditors, a year of third-party audits of the demo register,
findings with corrective action in every state, and a few items due or overdue today so that the reminder
run has something to send. Deterministic for a seed; dates move with today.

Writes go through the audit services (the same state machines users go through), so demo data obeys every
rule: deadlines fixed on the day of acceptance, red lines at least priority, CAPs only within the due date.
Event times (submitted, reviewed) are the time of seeding; the dates that count (audit dates, acceptance,
closure) are spread over the past months.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from audits import services
from audits.models import Audit, AuditAgency, Auditor, ClosureVerification, CodeProvision, Evidence, Finding
from suppliers import roles
from suppliers.models import Contact, Supplier

AGENCIES = [
    ("sgs", "SGS Social Audits", "audits@sgs.example"),
    ("bv", "Bureau Veritas CSR", "csr-audits@bv.example"),
    ("elevate", "Elevate Responsible Sourcing", "audits@elevate.example"),
]
FINDINGS = [
    ("A3", "major", "", "Weekly working hours above 60 for 25% of sampled workers in peak season."),
    ("A4", "minor", "", "Overtime premium calculated on base wage without the housing allowance."),
    ("B2", "major", "", "Two emergency exits on the second floor blocked by stored cartons."),
    ("B1", "minor", "", "Machine guards missing on one punching press."),
    ("C3", "major", "", "Chemical storage without secondary containment."),
    ("E11", "minor", "", "Training records incomplete for new hires."),
    ("A2", "priority", "1", "Two workers under 16 found on the assembly line; ages confirmed from ID cards."),
    ("B7", "priority", "7", "Dormitory fire alarm system disconnected; no fire drill in 12 months."),
    ("D1", "observation", "", "Gift policy not translated for production supervisors."),
]
REPORT = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class AuditDemoSummary:
    audits: int
    findings: int
    overdue: int

    def __str__(self) -> str:
        return f"demo audits: {self.audits} audits, {self.findings} findings ({self.overdue} overdue today)"


def _users(rng: random.Random):
    User = get_user_model()
    auditor_group = Group.objects.get(name=roles.AUDITOR)
    auditors = []
    for code, name, email in AGENCIES:
        agency, _ = AuditAgency.objects.get_or_create(code=code, defaults={"name": name, "email": email})
        for n in (1, 2):
            user, created = User.objects.get_or_create(
                username=f"{code}.auditor{n}",
                defaults={
                    "email": f"auditor{n}@{code}.example",
                    "first_name": f"Auditor {n}",
                    "last_name": name,
                },
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.groups.add(auditor_group)
            auditor, _ = Auditor.objects.get_or_create(user=user, defaults={"agency": agency})
            auditors.append(auditor)
    esg = User.objects.filter(groups__name=roles.ESG_MANAGER).order_by("pk").first()
    return auditors, esg


def _contact_user(supplier: Supplier):
    contact = Contact.objects.filter(supplier=supplier).order_by("-is_primary", "pk").first()
    return contact.user if contact and contact.user else None


def demo_audits_seed(*, audits: int = 60, seed: int = 7, today: dt.date | None = None) -> AuditDemoSummary:
    """Create ``audits`` audits of admitted production suppliers, through the services."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    auditors, esg = _users(rng)
    provisions = {p.code: p for p in CodeProvision.objects.filter(code_version="RBA 8.0")}
    suppliers = list(
        Supplier.objects.filter(status=Supplier.Status.ADMITTED, category=Supplier.Category.PRODUCTION)
        .exclude(audits__isnull=False)
        .order_by("code")[: audits * 3]
    )
    rng.shuffle(suppliers)
    created = findings = 0
    for index, supplier in enumerate(suppliers[:audits]):
        auditor = rng.choice(auditors)
        # Audits ended between 200 and 20 days ago; the first few end so that items are due around today.
        ended = today - dt.timedelta(
            days=rng.randint(20, 200) if index >= 6 else (8, 31, 45, 95, 100, 125)[index]
        )
        started = ended - dt.timedelta(days=2)
        accepted = ended + dt.timedelta(days=3)
        with transaction.atomic():
            audit = services.audit_create(
                supplier=supplier,
                agency=auditor.agency,
                lead_auditor=auditor,
                site=f"{supplier.name}, main site",
                planned_start=started,
                planned_end=ended,
                type=Audit.Type.ANNUAL,
                by=esg,
            )
            audit = services.audit_update(audit=audit, by=auditor.user, actual_start=started)
            picks = rng.sample(FINDINGS[:6], k=rng.randint(1, 4))
            if rng.random() < 0.08:
                picks.append(rng.choice(FINDINGS[6:8]))
            if rng.random() < 0.4:
                picks.append(FINDINGS[8])
            for code, severity, red_line, text in picks:
                services.finding_create(
                    audit=audit,
                    by=auditor.user,
                    provision=provisions[code],
                    severity=severity,
                    red_line=red_line,
                    description=text,
                )
                findings += 1
            score = Decimal(rng.choice([rng.randint(120, 159), rng.randint(160, 180), rng.randint(181, 200)]))
            services.audit_update(audit=audit, by=auditor.user, actual_end=ended, score=score)
            services.audit_attach_report(
                audit=audit,
                by=auditor.user,
                upload=SimpleUploadedFile(f"{audit.reference}.pdf", REPORT, content_type="application/pdf"),
            )
            services.audit_submit(audit=audit, by=auditor.user)
            services.audit_accept(audit=audit, by=esg, on=accepted)
            _progress_caps(
                audit, rng=rng, esg=esg, contact=_contact_user(supplier), accepted=accepted, today=today
            )
        created += 1
    overdue = Finding.objects.overdue(on=today).count()
    return AuditDemoSummary(audits=created, findings=findings, overdue=overdue)


def _progress_caps(
    audit: Audit, *, rng: random.Random, esg, contact, accepted: dt.date, today: dt.date
) -> None:
    """Move each finding's corrective action along as far as its age allows, some on time, some late."""
    for finding in Finding.objects.filter(audit=audit).actionable().order_by("number"):
        if rng.random() < 0.15 or accepted + dt.timedelta(days=5) > today:
            continue  # plan not submitted yet: chased by the reminders
        finding.refresh_from_db()
        plan_day = accepted + dt.timedelta(days=rng.randint(2, 6))
        planned = min(finding.rectification_due, plan_day + dt.timedelta(days=rng.randint(10, 60)))
        services.cap_submit(
            finding=finding,
            by=contact,
            root_cause="Procedure missing and supervisors not trained.",
            corrective_action="Fix the condition found and check all similar places.",
            preventive_action="Written procedure, training, monthly self-inspection.",
            owner="Plant manager",
            planned_completion=planned,
        )
        services.cap_review(finding=finding, by=esg, approve=True)
        done = planned + dt.timedelta(days=rng.choice([-5, 0, 3, 10, 40]))
        if done >= today or rng.random() < 0.25:
            continue  # still under way
        services.evidence_attach(
            finding=finding,
            by=contact,
            purpose=Evidence.Purpose.RECTIFICATION,
            upload=SimpleUploadedFile("rectification.pdf", REPORT, content_type="application/pdf"),
        )
        services.cap_implement(finding=finding, by=contact, note="Done; photos attached.")
        verify = done + dt.timedelta(days=rng.randint(1, 6))
        if verify < today:
            services.closure_verify(
                finding=finding, by=esg, method=ClosureVerification.Method.DESK_REVIEW, on=verify
            )
