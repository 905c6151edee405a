"""Reads of the supplier contact's pages: the task inbox, and the findings of their audits as the portal shows
them.

The inbox holds no rule of its own about what is open or due. It reads:

- the reminder registry (``reminders.registry``, kinds in ``reminders.kinds``): each kind's open items of this
  supplier and their due dates, and the stage each has reached by the ladder's one rule
  (``reminders.ladder.stage_reached``), evaluated in the query; kinds whose items someone else must act on
  (``ItemInfo.responsible`` names them: an agency's late report) are left out;
- the extension requests of the supplier's findings (``audits.models.ExtensionRequest``): pending ones, and
  those decided in the last ``EXTENSION_ANSWERS_DAYS`` days;
- the agreements the onboarding gate still asks for (``suppliers.lifecycle.admission_check``).

A fixed number of queries whatever the number of items: one or two per kind, one for the findings, one for the
extension requests and a few for the gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import IntegerField, Q, Value
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from audits import deadlines
from audits.models import ExtensionRequest, Finding
from reminders import registry
from reminders.ladder import Ladder, stage_reached
from suppliers.lifecycle import admission_check
from suppliers.models import Agreement, Supplier

EXTENSION_ANSWERS_DAYS = 30  # a decided extension request stays in the inbox this long

# Finding kinds of the registry, and the portal page where the supplier acts on each.
FINDING_PAGES = {
    "cap_due": "finding_cap",
    "rectification_due": "finding_rectification",
    "progress_missing": "finding_progress",
}

# The button of a task, by kind; anything else: "Open".
BUTTONS = {
    "cap_due": gettext_lazy("Submit the plan"),
    "rectification_due": gettext_lazy("Upload evidence"),
    "progress_missing": gettext_lazy("Report progress"),
    "agreement_expiring": gettext_lazy("Renew and sign"),
    "agreement_to_sign": gettext_lazy("Read and sign"),
    "declaration_missing": gettext_lazy("Upload a declaration"),
    "extension_pending": gettext_lazy("See the request"),
    "extension_approved": gettext_lazy("See the decision"),
    "extension_rejected": gettext_lazy("See the decision"),
}

Row = tuple[int, dt.date | None, dt.date | None, int | None]  # item id, due date, period, stage


@dataclass(frozen=True)
class Task:
    """One thing the supplier must do (or is waiting for), in the active language."""

    kind: str  # the registry's kind key, or agreement_to_sign / extension_pending / _approved / _rejected
    label: str  # what kind of task it is: "Corrective action plan due"
    title: str  # which item: "AUD-2026-00012-F02 A3 (Major)"
    action: str  # what to do: "Submit the corrective action plan"
    due: dt.date | None
    days_overdue: int | None  # negative: days left
    stage: int | None  # escalation stage reached (0: due soon), None: none yet
    url: str  # the portal page where to act; empty when there is none
    status: str = ""  # more to know: why a plan was rejected, what was decided...
    button: str = ""
    alert: bool = False  # the status is bad news: a plan or an extension refused

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue is not None and self.days_overdue > 0

    @property
    def is_soon(self) -> bool:
        return self.days_overdue is not None and -7 <= self.days_overdue <= 0


def _urgency(task: Task) -> tuple:
    """Highest stage first, then the earliest due date (the longest overdue, then the soonest due); tasks
    without a stage or a date last. Ties keep the order they were read in (the gate lists the CSR Agreement
    first)."""
    return (-(task.stage if task.stage is not None else -1), task.due or dt.date.max)


def _days(due: dt.date | None, today: dt.date) -> int | None:
    return (today - due).days if due is not None else None


def finding_title(finding: Finding) -> str:
    """ "AUD-2026-00012-F02 A3 (Major, red line 4)": reference, provision code and severity, translated."""
    values = {
        "reference": finding.reference,
        "code": finding.provision.code,
        "severity": finding.get_severity_display(),
        "red_line": finding.red_line,
    }
    if finding.red_line:
        return _("%(reference)s %(code)s (%(severity)s, red line %(red_line)s)") % values
    return _("%(reference)s %(code)s (%(severity)s)") % values


def provision_title(finding: Finding) -> str:
    """The provision's code and title in the active language."""
    return f"{finding.provision.code} {finding.provision.title_in(get_language())}"


def _open_rows(kind: registry.ItemKind, *, ladder: Ladder, supplier_id: int, today: dt.date) -> list[Row]:
    """The supplier's open items of ``kind`` with the stage each has reached today, in one query."""
    rungs = ladder.for_kind(kind)
    stage = stage_reached(due="r_due", on=today, rungs=rungs) if rungs else Value(None, IntegerField())
    return list(
        kind.open_items(today)
        .filter(r_supplier=supplier_id)
        .annotate(r_stage=stage)
        .order_by()
        .values_list("r_item", "r_due", "r_period", "r_stage")
    )


def inbox_tasks(*, supplier_id: int, today: dt.date) -> list[Task]:
    """What the supplier's contacts must do, most urgent first (``_urgency``)."""
    ladder = Ladder.current()
    inbox = reverse("portal:inbox")
    tasks: list[Task] = []
    finding_rows: dict[str, list[Row]] = {}
    renewing: set[str] = set()  # agreement kinds the registry already chases as expiring
    for kind in registry.all_kinds():
        rows = _open_rows(kind, ladder=ladder, supplier_id=supplier_id, today=today)
        if not rows:
            continue
        if kind.key in FINDING_PAGES:
            finding_rows[kind.key] = rows
            continue
        described = kind.describe([item for item, *_rest in rows])
        for item, due, _period, stage in rows:
            info = described.get(item)
            if info is None or info.responsible is not None:  # someone else must act (None: the supplier)
                continue
            tasks.append(
                Task(
                    kind=kind.key,
                    label=str(kind.label),
                    title=info.title,
                    action=str(kind.action),
                    due=due,
                    days_overdue=_days(due, today),
                    stage=stage,
                    url=info.portal_url if info.portal_url != inbox else "",
                    button=str(BUTTONS.get(kind.key, _("Open"))),
                )
            )
        if kind.key == "agreement_expiring":
            renewing = set(
                Agreement.objects.filter(pk__in=[item for item, *_rest in rows]).values_list(
                    "kind", flat=True
                )
            )
    tasks.extend(_finding_tasks(finding_rows, supplier_id=supplier_id, today=today))
    tasks.extend(_agreement_tasks(supplier_id=supplier_id, today=today, renewing=renewing))
    return sorted(tasks, key=_urgency)


def _finding_tasks(rows_by_kind: dict[str, list[Row]], *, supplier_id: int, today: dt.date) -> list[Task]:
    since = today - dt.timedelta(days=EXTENSION_ANSWERS_DAYS)
    extensions = list(
        ExtensionRequest.objects.filter(finding__audit__supplier_id=supplier_id)
        .filter(Q(status=ExtensionRequest.Status.PENDING) | Q(decided_at__date__gte=since))
        .order_by("-requested_at")
    )
    ids = {row[0] for rows in rows_by_kind.values() for row in rows} | {e.finding_id for e in extensions}
    if not ids:
        return []
    findings = Finding.objects.filter(pk__in=ids).select_related("audit", "provision", "cap").in_bulk()
    tasks = []
    for key, rows in rows_by_kind.items():
        kind, link = registry.get(key), registry.portal_link(FINDING_PAGES[key])
        for item, due, period, stage in rows:
            finding = findings.get(item)
            if finding is None:
                continue
            cap = getattr(finding, "cap", None)
            action, status, button, alert = str(kind.action), "", str(BUTTONS[key]), False
            if key == "cap_due" and cap is not None and cap.status == cap.Status.REJECTED:
                action, button, alert = _("Resubmit the corrective action plan"), _("Resubmit the plan"), True
                status = _("Your plan was rejected: %(reason)s") % {"reason": cap.review_note}
            elif key == "rectification_due" and cap is not None:
                status = _("Corrective action plan: %(status)s") % {"status": cap.get_status_display()}
            elif key == "progress_missing" and period is not None:
                status = _("Progress report on %(month)s") % {"month": f"{period:%Y-%m}"}
            tasks.append(
                Task(
                    kind=key,
                    label=str(kind.label),
                    title=finding_title(finding),
                    action=action,
                    due=due,
                    days_overdue=_days(due, today),
                    stage=stage,
                    url=link(item),
                    status=status,
                    button=button,
                    alert=alert,
                )
            )
    tasks.extend(_extension_task(e, findings[e.finding_id]) for e in extensions if e.finding_id in findings)
    return tasks


def _extension_task(extension: ExtensionRequest, finding: Finding) -> Task:
    dates = {
        "requested": f"{extension.requested_due:%Y-%m-%d}",
        "previous": f"{extension.previous_due:%Y-%m-%d}",
        "reason": extension.decision_reason,
    }
    if extension.status == ExtensionRequest.Status.PENDING:
        key = "extension_pending"
        action = _("Waiting for the company's decision")
        status = _("You asked to move the rectification due date from %(previous)s to %(requested)s.") % dates
    elif extension.status == ExtensionRequest.Status.APPROVED:
        key = "extension_approved"
        action = _("Extension approved: the new rectification due date is %(requested)s.") % dates
        status = extension.decision_reason
    else:
        key = "extension_rejected"
        action = _("Extension refused: the rectification due date stays %(previous)s.") % dates
        status = _("Reason: %(reason)s") % dates
    return Task(
        kind=key,
        label=_("Extension request"),
        title=finding_title(finding),
        action=action,
        due=None,
        days_overdue=None,
        stage=None,
        url=reverse("portal:finding_extension", args=[finding.pk]),
        status=status,
        button=str(BUTTONS[key]),
        alert=key == "extension_rejected",
    )


def _agreement_tasks(*, supplier_id: int, today: dt.date, renewing: Iterable[str]) -> list[Task]:
    """The agreements the onboarding gate still asks of the supplier (its unmet agreement conditions), except
    those the registry already chases as expiring."""
    supplier = Supplier.objects.get(pk=supplier_id)
    check = admission_check(supplier=supplier, on=today)
    kinds, renewing = set(Agreement.Kind.values), set(renewing)
    url = reverse("portal:agreements")
    return [
        Task(
            kind="agreement_to_sign",
            label=_("Agreement to sign"),
            title=str(Agreement.Kind(condition.key).label),
            action=_("Read the text and sign it online"),
            due=None,
            days_overdue=None,
            stage=None,
            url=url,
            status=condition.message,
            button=str(BUTTONS["agreement_to_sign"]),
        )
        for condition in check.conditions
        if not condition.met and condition.key in kinds and condition.key not in renewing
    ]


# --- Findings as the supplier sees them ----------------------------------------------------------------


def rectification_status(finding: Finding, *, today: dt.date) -> str:
    """``deadlines.rectification_status`` as a key for the page (empty without a deadline)."""
    status = deadlines.rectification_status(finding=finding, on=today)
    return status.value if status is not None else ""
