"""Every kind of item the scheduler chases, in one place. To add a kind, declare it here with ``register``.

Each kind's ``open_items`` leaves out closed items, so closing an item (a CAP approved, a finding verified,
a report submitted, an agreement renewed) stops its reminders. A kind whose subquery is correlated with the
item's id bounds it to the scan's batch (``within``, see ``registry.ItemKind``).

Each kind's ``describe`` reads a batch of items as values in one or two queries (no model instances, the
admin and portal URLs resolved once per batch), so that building a day's digests over a million items costs a
few queries per batch rather than a little work per item. Titles are built with ``gettext`` when ``describe``
runs, so that a digest rendered in a reader's language (``services.digests``) gets them in that language; the
labels and actions, which the outside party that must act reads, are translatable too (``staff_summary`` is
for staff, who read English).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import DateField, Exists, F, Func, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from audits.models import Audit, Auditor, AuditPolicy, CodeProvision, Finding, ProgressUpdate, Severity
from common.bulk import ids_in
from minerals.models import Declaration, DueDiligenceAction, MineralsPolicy
from suppliers.models import Agreement, ExternalAssessment, OnboardingPolicy, Supplier

from .registry import IdRange, ItemInfo, ItemKind, admin_link, portal_link, portal_page, register

ACTIVE_SUPPLIER = [Supplier.Status.SCREENING, Supplier.Status.ADMITTED, Supplier.Status.SUSPENDED]
PROGRESS_REPORT_DUE_DAY = 5  # the report on a month is due on this day of the next month


class AddDays(Func):
    """``date + n days`` on PostgreSQL and SQLite alike."""

    output_field = DateField()

    def __init__(self, expression, days: int):
        super().__init__(expression)
        self.days = int(days)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} + {self.days})", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '{self.days:+d} days')", params


def _within(queryset, field: str, within: IdRange | None):
    """``queryset`` limited to rows whose ``field`` (an item id) is in the scan's batch, if there is one."""
    if within is None:
        return queryset
    low, high = within
    return queryset.filter(**{f"{field}__gte": low, f"{field}__lte": high})


def _annotated(queryset, *, item, supplier, due, period=None):
    return queryset.annotate(
        r_item=item, r_supplier=supplier, r_due=due, r_period=period if period is not None else due
    )


# --- Findings -----------------------------------------------------------------------------------------


def _open_issued_findings():
    return Finding.objects.actionable().issued().open()


SEVERITIES = dict(Severity.choices)


def _finding_title(*, finding: str, code: str, provision: CodeProvision, severity: str, red_line: str) -> str:
    """The title of a finding in the active language: "AUD-2026-00012-F02 A2 Young Workers (Priority, red
    line 1)"."""
    severity_label = str(SEVERITIES.get(severity, severity))
    if red_line:
        severity_label = _("%(severity)s, red line %(number)s") % {
            "severity": severity_label,
            "number": red_line,
        }
    return _("%(finding)s %(code)s %(provision)s (%(severity)s)") % {
        "finding": finding,
        "code": code,
        "provision": provision.title_in(get_language()),
        "severity": severity_label,
    }


def _describe_findings(ids: Sequence[int], what: str) -> dict[int, ItemInfo]:
    """Title as ``Finding.reference`` and the provision make it; ``what`` is the deadline the kind chases."""
    link, reference = admin_link("admin:audits_finding_change"), Finding.reference_of
    portal = portal_link("finding")
    due_field = {"cap": "cap_due", "rectification": "rectification_due"}.get(what, "rectification_due")
    rows = (
        Finding.objects.filter(ids_in("pk", ids))
        .order_by()
        .values_list(
            "pk",
            "audit__reference",
            "number",
            "provision__code",
            "provision__title",
            "provision__title_zh_hans",
            "severity",
            "red_line",
            due_field,
            "audit__supplier_id",
        )
    )
    info = {}
    for pk, audit, number, code, title, title_zh_hans, severity, red_line, due, supplier_id in rows:
        info[pk] = ItemInfo(
            title=_finding_title(
                finding=reference(audit_reference=audit, number=number),
                code=code,
                # Read as values: the provision's own rule picks the title for the language.
                provision=CodeProvision(title=title, title_zh_hans=title_zh_hans),
                severity=severity,
                red_line=red_line,
            ),
            url=link(pk),
            due=due if what != "progress" else None,
            supplier_id=supplier_id,
            portal_url=portal(pk),
        )
    return info


def cap_items(today: dt.date, within: IdRange | None = None):
    """Findings whose plan is not in (``audits.deadlines.cap_pending``), due at their CAP due date."""
    return _annotated(
        Finding.objects.cap_pending(finding_ids=within),
        item=F("pk"),
        supplier=F("audit__supplier_id"),
        due=F("cap_due"),
    )


def rectification_items(today: dt.date, within: IdRange | None = None):
    return _annotated(
        _open_issued_findings(), item=F("pk"), supplier=F("audit__supplier_id"), due=F("rectification_due")
    )


def _previous_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def progress_items(today: dt.date, within: IdRange | None = None):
    """Findings under rectification through the whole of last month without a progress report on it."""
    month = _previous_month(today)
    due = today.replace(day=PROGRESS_REPORT_DUE_DAY)
    reported = ProgressUpdate.objects.filter(finding=OuterRef("pk"), month=month)
    return _annotated(
        _open_issued_findings()
        .filter(audit__accepted_on__lt=month)
        .exclude(Exists(_within(reported, "finding", within))),
        item=F("pk"),
        supplier=F("audit__supplier_id"),
        due=Value(due, output_field=DateField()),
        period=Value(month, output_field=DateField()),
    )


register(
    ItemKind(
        key="cap_due",
        label=gettext_lazy("Corrective action plan due"),
        action=gettext_lazy("Submit your corrective action plan"),
        staff_summary="has not submitted its corrective action plan",
        open_items=cap_items,
        describe=lambda ids: _describe_findings(ids, "cap"),
    )
)
register(
    ItemKind(
        key="rectification_due",
        label=gettext_lazy("Rectification due"),
        action=gettext_lazy("Complete the rectification and upload your evidence"),
        staff_summary="has not completed the rectification",
        open_items=rectification_items,
        describe=lambda ids: _describe_findings(ids, "rectification"),
    )
)
register(
    ItemKind(
        key="progress_missing",
        label=gettext_lazy("Monthly progress report missing"),
        action=gettext_lazy("Submit your progress report on last month"),
        staff_summary="has not submitted last month's progress report",
        open_items=progress_items,
        describe=lambda ids: _describe_findings(ids, "progress"),
        max_stage=2,  # the next month's report takes over
    )
)


# --- Audit reports -------------------------------------------------------------------------------------


def report_items(today: dt.date, within: IdRange | None = None):
    """Audits whose report is still to come, due as ``Audit.report_due`` says (in SQL here)."""
    days = AuditPolicy.current().report_due_days
    return _annotated(
        Audit.objects.awaiting_report(),
        item=F("pk"),
        supplier=F("supplier_id"),
        due=AddDays(Coalesce("actual_end", "planned_end"), days),
    )


def _describe_audits(ids: Sequence[int]) -> dict[int, ItemInfo]:
    """The agency and the lead auditor must act on a late report, while they have access: an inactive
    agency or auditor is no longer written to (the ESG managers still are, from stage 2)."""
    link, portal = admin_link("admin:audits_audit_change"), portal_link("agency_audit")
    policy = AuditPolicy.current()
    rows = (
        Audit.objects.filter(ids_in("pk", ids))
        .annotate(lead_active=Exists(Auditor.objects.active().filter(pk=OuterRef("lead_auditor_id"))))
        .order_by()
        .values_list(
            "pk",
            "reference",
            "agency__name",
            "agency__email",
            "agency__active",
            "lead_auditor__user__email",
            "lead_active",
            "actual_end",
            "planned_end",
            "supplier_id",
        )
    )
    info = {}
    for row in rows:
        pk, reference, agency, agency_email, agency_active, lead_email, lead_active, *rest = row
        actual_end, planned_end, supplier_id = rest
        end = actual_end or planned_end
        writes_to = (agency_email if agency_active else "", lead_email if lead_active else "")
        info[pk] = ItemInfo(
            title=_("%(reference)s by %(agency)s: audit ended %(end)s, report not submitted")
            % {"reference": reference, "agency": agency, "end": f"{end:%Y-%m-%d}" if end else "?"},
            url=link(pk),
            responsible=tuple(e for e in writes_to if e),
            due=policy.report_due_after(end) if end else None,
            supplier_id=supplier_id,
            portal_url=portal(pk),
        )
    return info


register(
    ItemKind(
        key="report_late",
        label=gettext_lazy("Audit report late"),
        action=gettext_lazy("Submit the audit report"),
        staff_summary="has an audit whose report the agency has not submitted",
        open_items=report_items,
        describe=_describe_audits,
    )
)


# --- Supplier evidence and agreements ------------------------------------------------------------------


def vap_items(today: dt.date, within: IdRange | None = None):
    """The latest RBA VAP of each active supplier, expiring when its validity (or the onboarding policy's age
    limit) ends."""
    newer = ExternalAssessment.objects.filter(
        supplier=OuterRef("supplier"),
        kind=ExternalAssessment.Kind.RBA_VAP,
        assessed_on__gt=OuterRef("assessed_on"),
    )
    max_age = OnboardingPolicy.current().vap_max_age_days
    return _annotated(
        ExternalAssessment.objects.filter(
            kind=ExternalAssessment.Kind.RBA_VAP, supplier__status__in=ACTIVE_SUPPLIER
        ).exclude(Exists(newer)),
        item=F("pk"),
        supplier=F("supplier_id"),
        due=Coalesce("valid_until", AddDays(F("assessed_on"), max_age)),
    )


def _describe_vaps(ids: Sequence[int]) -> dict[int, ItemInfo]:
    link, inbox = admin_link("admin:suppliers_supplier_change"), portal_page("inbox")
    max_age = dt.timedelta(days=OnboardingPolicy.current().vap_max_age_days)
    rows = (
        ExternalAssessment.objects.filter(ids_in("pk", ids))
        .order_by()
        .values_list("pk", "assessed_on", "score", "valid_until", "supplier_id")
    )
    return {
        pk: ItemInfo(
            title=_("RBA VAP of %(date)s (score %(score)s)")
            % {"date": f"{assessed_on:%Y-%m-%d}", "score": score},
            url=link(supplier_id),
            due=valid_until or assessed_on + max_age,
            supplier_id=supplier_id,
            portal_url=inbox,
        )
        for pk, assessed_on, score, valid_until, supplier_id in rows
    }


def agreement_items(today: dt.date, within: IdRange | None = None):
    renewed = Agreement.objects.filter(
        supplier=OuterRef("supplier"), kind=OuterRef("kind"), signed_on__isnull=False
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gt=OuterRef("expires_on")))
    return _annotated(
        Agreement.objects.filter(
            signed_on__isnull=False, expires_on__isnull=False, supplier__status__in=ACTIVE_SUPPLIER
        ).exclude(Exists(renewed)),
        item=F("pk"),
        supplier=F("supplier_id"),
        due=F("expires_on"),
    )


def _describe_agreements(ids: Sequence[int]) -> dict[int, ItemInfo]:
    link, agreements = admin_link("admin:suppliers_supplier_change"), portal_page("agreements")
    labels = dict(Agreement.Kind.choices)
    rows = (
        Agreement.objects.filter(ids_in("pk", ids))
        .order_by()
        .values_list("pk", "kind", "signed_on", "expires_on", "supplier_id")
    )
    return {
        pk: ItemInfo(
            title=_("%(agreement)s signed %(signed)s, expires %(expires)s")
            % {
                "agreement": labels.get(kind, kind),
                "signed": f"{signed_on:%Y-%m-%d}",
                "expires": f"{expires_on:%Y-%m-%d}",
            },
            url=link(supplier_id),
            due=expires_on,
            supplier_id=supplier_id,
            portal_url=agreements,
        )
        for pk, kind, signed_on, expires_on, supplier_id in rows
    }


register(
    ItemKind(
        key="vap_expiring",
        label=gettext_lazy("RBA VAP report expiring"),
        action=gettext_lazy("Arrange a new RBA VAP audit and upload its report"),
        staff_summary="has not renewed its RBA VAP audit",
        open_items=vap_items,
        describe=_describe_vaps,
        due_soon_days=30,
        max_stage=1,
    )
)
register(
    ItemKind(
        key="agreement_expiring",
        label=gettext_lazy("Agreement expiring"),
        action=gettext_lazy("Renew and sign the agreement"),
        staff_summary="has not renewed an agreement",
        open_items=agreement_items,
        describe=_describe_agreements,
        due_soon_days=30,
        max_stage=1,
    )
)


# --- Responsible minerals ------------------------------------------------------------------------------


def _open_dd_actions(*, follow_up: bool):
    """Open due-diligence actions of one group (``minerals.conformance``), each due at its deadline."""
    kind = Q(kind=DueDiligenceAction.Kind.FOLLOW_UP)
    actions = DueDiligenceAction.objects.open().filter(kind if follow_up else ~kind)
    return _annotated(actions, item=F("pk"), supplier=F("supplier_id"), due=F("deadline"))


def dd_action_items(today: dt.date, within: IdRange | None = None):
    """Due diligence or replacement of non-conformant or unknown smelters."""
    return _open_dd_actions(follow_up=False)


def follow_up_items(today: dt.date, within: IdRange | None = None):
    """Follow-ups of active smelters (in RMAP assessment), due when the assessment is."""
    return _open_dd_actions(follow_up=True)


def _describe_dd_actions(ids: Sequence[int]) -> dict[int, ItemInfo]:
    link, portal = admin_link("admin:minerals_duediligenceaction_change"), portal_link("dd_action")
    labels = dict(DueDiligenceAction.Kind.choices)
    rows = (
        DueDiligenceAction.objects.filter(ids_in("pk", ids))
        .order_by()
        .values_list("pk", "kind", "smelter_label", "family", "year", "deadline", "supplier_id")
    )
    return {
        pk: ItemInfo(
            title=_("%(action)s for %(smelter)s (%(family)s %(year)s)")
            % {"action": labels.get(kind, kind), "smelter": smelter, "family": family, "year": year},
            url=link(pk),
            due=deadline,
            supplier_id=supplier_id,
            portal_url=portal(pk),
        )
        for pk, kind, smelter, family, year, deadline, supplier_id in rows
    }


def declaration_missing_items(today: dt.date, within: IdRange | None = None):
    """Active production suppliers without an accepted declaration for the reporting year being collected
    (the previous calendar year), due on the policy's date (31 May by default); only once the policy turns
    these reminders on."""
    policy = MineralsPolicy.current()
    year = policy.reporting_year(on=today)
    due = policy.declaration_due(year=year)
    declared = Declaration.objects.filter(
        supplier=OuterRef("pk"), year=year, status=Declaration.Status.ACCEPTED
    )
    suppliers = (
        Supplier.objects.production()
        .filter(status__in=ACTIVE_SUPPLIER)
        .exclude(Exists(_within(declared, "supplier", within)))
    )
    if not policy.remind_missing_declarations:
        suppliers = suppliers.filter(pk__isnull=True)  # turned off: no items, as a query the scan can embed
    return _annotated(suppliers, item=F("pk"), supplier=F("pk"), due=Value(due, output_field=DateField()))


def _describe_missing_declarations(ids: Sequence[int]) -> dict[int, ItemInfo]:
    link, declarations = admin_link("admin:suppliers_supplier_change"), portal_page("declarations")
    policy = MineralsPolicy.current()
    year = policy.reporting_year(on=timezone.localdate())
    due = policy.declaration_due(year=year)
    rows = Supplier.objects.filter(ids_in("pk", ids)).order_by().values_list("pk", "code", "name")
    return {
        pk: ItemInfo(
            title=_("%(code)s %(name)s: no accepted CMRT/EMRT declaration for %(year)s")
            % {"code": code, "name": name, "year": year},
            url=link(pk),
            due=due,
            supplier_id=pk,
            portal_url=declarations,
        )
        for pk, code, name in rows
    }


register(
    ItemKind(
        key="dd_action_due",
        label=gettext_lazy("Smelter due diligence due"),
        action=gettext_lazy(
            "Carry out third-party due diligence under RMAP on the smelter, or replace it, and send us the "
            "evidence"
        ),
        staff_summary="has not completed the due diligence or replacement of a smelter",
        open_items=dd_action_items,
        describe=_describe_dd_actions,
    )
)
register(
    ItemKind(
        key="smelter_follow_up_due",
        label=gettext_lazy("Smelter assessment follow-up due"),
        action=gettext_lazy(
            "Check the outcome of the smelter's RMAP assessment and send it to us; a smelter that is not "
            "conformant by now needs third-party due diligence or replacement"
        ),
        staff_summary="has not sent the outcome of a smelter's RMAP assessment",
        open_items=follow_up_items,
        describe=_describe_dd_actions,
        max_stage=2,  # the smelter is in RMAP's own assessment: no suspension review for a late check
    )
)
register(
    ItemKind(
        key="declaration_missing",
        label=gettext_lazy("Minerals declaration missing"),
        action=gettext_lazy("Upload your completed CMRT (and EMRT where it applies) for the reporting year"),
        staff_summary="has not submitted its CMRT/EMRT declaration",
        open_items=declaration_missing_items,
        describe=_describe_missing_declarations,
        due_soon_days=30,
    )
)
