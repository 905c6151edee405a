"""The supplier lifecycle and the onboarding gate: the whole rule is here.

``candidate → screening → admitted ↔ suspended → exited``, and ``screening → rejected`` ("not admitted").
A rejected supplier may re-apply (back to screening); an exited one may be re-engaged as a candidate.

A supplier is admitted (or reinstated from suspension) only when the gate holds:
1. ESG evidence: an RBA VAP report no older than the policy allows (two years by default), or a completed
   onboarding audit by an assigned third-party agency;
2. no open red-line finding;
3. the CSR Agreement signed, the Code of Conduct acknowledged, and (by policy) the Integrity
   Commitment signed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common import bulk
from common.exceptions import Conflict

from . import seams
from .models import Agreement, ExternalAssessment, OnboardingPolicy, StatusTransition, Supplier
from .risk import risk_refresh
from .tasks import schedule_risk_refresh

Status = Supplier.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.CANDIDATE: frozenset({Status.SCREENING, Status.EXITED}),
    Status.SCREENING: frozenset({Status.ADMITTED, Status.REJECTED, Status.CANDIDATE}),
    Status.ADMITTED: frozenset({Status.SUSPENDED, Status.EXITED}),
    Status.SUSPENDED: frozenset({Status.ADMITTED, Status.EXITED}),
    Status.REJECTED: frozenset({Status.SCREENING}),
    Status.EXITED: frozenset({Status.CANDIDATE}),
}
GATED = frozenset({Status.ADMITTED})
REASON_REQUIRED = frozenset({Status.REJECTED, Status.SUSPENDED, Status.EXITED})
# Moving a supplier into these statuses is a decision for ESG managers; the rest is procurement's work.
DECISIONS = frozenset({Status.ADMITTED, Status.REJECTED, Status.SUSPENDED, Status.EXITED})


def permission_for(to_status: str) -> str:
    return "suppliers.approve_supplier" if to_status in DECISIONS else "suppliers.change_supplier"


@dataclass(frozen=True)
class Condition:
    key: str
    met: bool
    message: str


@dataclass(frozen=True)
class AdmissionCheck:
    supplier_id: int
    on: dt.date
    conditions: tuple[Condition, ...]
    red_line: bool

    @property
    def admissible(self) -> bool:
        return all(condition.met for condition in self.conditions)

    @property
    def unmet(self) -> list[str]:
        return [condition.message for condition in self.conditions if not condition.met]


class TransitionRefused(Conflict):
    """The requested step is not allowed (HTTP 409); ``unmet`` lists the gate's unmet conditions, if any, and
    the API answers them with the message (``{"detail", "unmet"}``)."""

    def __init__(self, message: str, *, unmet: list[str] | None = None, about: str = "to"):
        self.unmet = unmet or []
        self.about = about  # the input at fault: "to" (the step itself), "reason" or "red_line"
        super().__init__(message, extra={"unmet": self.unmet})

    def __str__(self) -> str:
        if not self.unmet:
            return self.message
        return self.message + " " + " ".join(f"({i}) {text}" for i, text in enumerate(self.unmet, 1))


def _evidence_condition(
    *, vaps: Sequence[dt.date], on: dt.date, policy: OnboardingPolicy, facts: seams.AuditFacts
) -> Condition:
    """``vaps``: the days of the supplier's RBA VAP reports, latest first."""
    oldest = on - dt.timedelta(days=policy.vap_max_age_days)
    latest_vap = next((day for day in vaps if day <= on), None)
    if latest_vap is not None and latest_vap >= oldest:
        return Condition("esg_evidence", True, f"RBA VAP report of {latest_vap:%Y-%m-%d}.")
    if policy.accept_onboarding_audit and facts.onboarding_audit_completed:
        return Condition("esg_evidence", True, "Completed onboarding audit by a third-party agency.")
    vap_text = (
        f"the latest RBA VAP report, of {latest_vap:%Y-%m-%d}, is older than {policy.vap_max_age_days} days"
        if latest_vap
        else "no RBA VAP report is on file"
    )
    alternative = (
        " and no onboarding audit by a third-party agency has been completed"
        if policy.accept_onboarding_audit
        else ""
    )
    return Condition(
        "esg_evidence",
        False,
        f"No ESG evidence: {vap_text}{alternative}. An RBA VAP report dated {oldest:%Y-%m-%d} or later"
        + (" or a completed onboarding audit" if policy.accept_onboarding_audit else "")
        + " is needed.",
    )


def required_agreement_kinds(*, policy: OnboardingPolicy) -> list[str]:
    """The agreements a supplier must have signed to be admitted: the CSR Agreement and the Code of Conduct
    acknowledgement, and the Integrity Commitment when the onboarding policy asks for it."""
    required = [Agreement.Kind.CSR_AGREEMENT, Agreement.Kind.CODE_OF_CONDUCT]
    if policy.require_integrity_commitment:
        required.append(Agreement.Kind.INTEGRITY_COMMITMENT)
    return required


@functools.lru_cache(maxsize=64)
def _agreement_texts(kind: str, language: str | None) -> dict[str, str]:
    """The words of an agreement's condition in ``language`` (the active one), translated once per kind and
    language rather than once per supplier: the gate judges 100,000 imported steps at a time."""
    label = str(Agreement.Kind(kind).label)
    return {
        "signed": _("%(agreement)s signed on %(date)s.") % {"agreement": label, "date": "{date}"},
        "expired": _("The %(agreement)s expired on %(date)s and has not been renewed.")
        % {"agreement": label, "date": "{date}"},
        "unsigned": _("The %(agreement)s has been sent but is not signed.") % {"agreement": label},
        "missing": _("The %(agreement)s is not on file.") % {"agreement": label},
    }


def _agreement_conditions(
    *, agreements: Sequence[Agreement], on: dt.date, policy: OnboardingPolicy
) -> list[Condition]:
    """``agreements``: the supplier's agreements, latest signed first within a kind."""
    required = required_agreement_kinds(policy=policy)
    language = get_language()
    by_kind: dict[str, list[Agreement]] = {}
    for agreement in agreements:
        by_kind.setdefault(agreement.kind, []).append(agreement)
    conditions = []
    for kind in required:
        texts = _agreement_texts(kind, language)
        records = by_kind.get(kind, [])
        in_force = [a for a in records if a.is_in_force(on)]
        if in_force:
            conditions.append(
                Condition(kind, True, texts["signed"].replace("{date}", f"{in_force[0].signed_on:%Y-%m-%d}"))
            )
            continue
        expired = [a for a in records if a.signed_on and a.expires_on and a.expires_on < on]
        if expired:
            last = max(expired, key=lambda a: a.expires_on)
            message = texts["expired"].replace("{date}", f"{last.expires_on:%Y-%m-%d}")
        elif records:
            message = texts["unsigned"]
        else:
            message = texts["missing"]
        conditions.append(Condition(kind, False, message))
    return conditions


def _red_line_conditions(*, facts: seams.AuditFacts) -> list[Condition]:
    if not facts.red_lines:
        return [Condition("red_line", True, "No open red-line finding.")]
    return [
        Condition(
            "red_line",
            False,
            f"Open red-line finding {issue}. Suppliers are not admitted until red-line issues are rectified.",
        )
        for issue in facts.red_lines
    ]


def _judge(
    *,
    supplier_id: int,
    on: dt.date,
    policy: OnboardingPolicy,
    vaps: Sequence[dt.date],
    agreements: Sequence[Agreement],
    facts: seams.AuditFacts,
) -> AdmissionCheck:
    """The gate's verdict on one supplier at one day, from its records of that day (read by the caller)."""
    conditions = [
        _evidence_condition(vaps=vaps, on=on, policy=policy, facts=facts),
        *_red_line_conditions(facts=facts),
        *_agreement_conditions(agreements=agreements, on=on, policy=policy),
    ]
    return AdmissionCheck(
        supplier_id=supplier_id, on=on, conditions=tuple(conditions), red_line=bool(facts.red_lines)
    )


GATE_CHUNK = 5000  # suppliers per query of the gate's records


def admission_checks(*, steps: Sequence[tuple[Supplier | int, dt.date | None]]) -> list[AdmissionCheck]:
    """The gate for many ``(supplier or its id, day)`` pairs at once, one check per pair in the same order;
    ``None`` for the day means today, on the audit facts as they are now. The records the gate reads (RBA
    VAP reports, agreements, audit facts at each day) are read for all the suppliers together, in a number
    of queries that grows with the chunks of suppliers and the distinct days, never with the pairs."""
    if not steps:
        return []
    today = timezone.localdate()
    pairs = [(getattr(supplier, "pk", supplier), on) for supplier, on in steps]
    ids = sorted({supplier_id for supplier_id, _ in pairs})
    policy = OnboardingPolicy.current()
    required = required_agreement_kinds(policy=policy)
    vaps: dict[int, list[dt.date]] = defaultdict(list)
    agreements: dict[int, list[Agreement]] = defaultdict(list)
    for start in range(0, len(ids), GATE_CHUNK):
        chunk = ids[start : start + GATE_CHUNK]
        for supplier_id, day in (
            ExternalAssessment.objects.filter(bulk.ids_in("supplier_id", chunk))
            .filter(kind=ExternalAssessment.Kind.RBA_VAP)
            .order_by("supplier_id", "-assessed_on")
            .values_list("supplier_id", "assessed_on")
        ):
            vaps[supplier_id].append(day)
        for agreement in (
            Agreement.objects.filter(bulk.ids_in("supplier_id", chunk))
            .filter(kind__in=required)
            .order_by("supplier_id", "kind", "-signed_on")
        ):
            agreements[agreement.supplier_id].append(agreement)
    facts = seams.audit_facts_at(pairs)
    return [
        _judge(
            supplier_id=supplier_id,
            on=on or today,
            policy=policy,
            vaps=vaps.get(supplier_id, ()),
            agreements=agreements.get(supplier_id, ()),
            facts=facts[supplier_id, on],
        )
        for supplier_id, on in pairs
    ]


def admission_check(*, supplier: Supplier, on: dt.date | None = None) -> AdmissionCheck:
    """May this supplier be admitted? Every condition, met or not, described in words, on the facts as they
    were on ``on`` (default today): its assessments, agreements and audit record at that date."""
    return admission_checks(steps=[(supplier, on)])[0]


def allowed_transitions(*, supplier: Supplier) -> list[str]:
    return sorted(TRANSITIONS.get(supplier.status, frozenset()))


@dataclass(frozen=True)
class StepRequest:
    """One lifecycle step asked for, as ``supplier_transition`` takes it."""

    supplier: Supplier
    to: str
    reason: str = ""
    at: dt.datetime | None = None
    red_line: bool = False
    history_reason: str = ""


def _step_refusal(
    *, code: str, status: str, to: str, by, reason: str, red_line: bool, check: AdmissionCheck | None = None
) -> TransitionRefused | None:
    """Why a supplier in ``status`` may not take this step (``None``: it may): the status, who asks, the
    state machine, the reason, the red line and, given the gate's ``check``, the gate."""
    try:
        to = Status(to)
    except ValueError:
        return TransitionRefused(f"'{to}' is not a supplier status.")
    if by is not None and not by.has_perm(permission_for(to)):
        return TransitionRefused(f"You may not move suppliers to '{to.label}'.")
    if to not in TRANSITIONS.get(status, frozenset()):
        return TransitionRefused(
            f"A supplier in status '{Status(status).label}' cannot move to '{to.label}'."
        )
    if to in REASON_REQUIRED and not reason:
        return TransitionRefused(f"Moving a supplier to '{to.label}' needs a reason.", about="reason")
    if red_line and to not in REASON_REQUIRED:
        return TransitionRefused(
            f"Moving a supplier to '{to.label}' is not a step taken for a red-line issue.", about="red_line"
        )
    if check is not None and to in GATED and not check.admissible:
        return TransitionRefused(f"{code} cannot be admitted:", unmet=check.unmet)
    return None


WRITE_BATCH = 2000  # rows per bulk statement


@transaction.atomic
def supplier_transitions(
    *, steps: Sequence[StepRequest], by
) -> list[StatusTransition | TransitionRefused | None]:
    """Take many steps at once, each exactly as ``supplier_transition`` takes one, in a number of queries that
    does not grow with the steps: the suppliers' rows are locked and the gate's records read for all of them
    together (``admission_checks``), and the steps, the suppliers' new status and their history are written
    in bulk.

    A supplier's steps are taken in the order given, from its status in the database; one result per step:
    the ``StatusTransition`` stored, the ``TransitionRefused`` saying why not, or ``None`` when it was not
    tried because an earlier step of the same supplier was refused. The steps taken are stored even when
    others are refused: a caller that wants all or nothing rolls back."""
    if not steps:
        return []
    now = timezone.now()
    ids = sorted({step.supplier.pk for step in steps})
    stored: dict[int, tuple[str, str]] = {}  # supplier id -> (code, status), its row locked
    for start in range(0, len(ids), GATE_CHUNK):
        rows = (
            Supplier.objects.select_for_update()
            .filter(bulk.ids_in("pk", ids[start : start + GATE_CHUNK]))
            .order_by("pk")
            .values_list("pk", "code", "status")
        )
        stored.update((pk, (code, status)) for pk, code, status in rows)
    # Judged on the facts of the step's day; a step taken now (or not dated) on the facts as they are now.
    days = [timezone.localdate(step.at) if step.at is not None else None for step in steps]
    checks = admission_checks(steps=[(step.supplier.pk, on) for step, on in zip(steps, days, strict=True)])

    results: list[StatusTransition | TransitionRefused | None] = []
    status = {pk: supplier_status for pk, (_code, supplier_status) in stored.items()}
    refused: set[int] = set()
    taken: list[StatusTransition] = []
    history: list[tuple[int, str, dt.datetime, str]] = []  # the supplier after each step, for its history
    for step, check in zip(steps, checks, strict=True):
        pk = step.supplier.pk
        if pk in refused:
            results.append(None)
            continue
        reason = (step.reason or "").strip()
        refusal = _step_refusal(
            code=stored[pk][0],
            status=status[pk],
            to=step.to,
            by=by,
            reason=reason,
            red_line=step.red_line,
            check=check,
        )
        if refusal is not None:
            refused.add(pk)
            results.append(refusal)
            continue
        to = Status(step.to)
        at = step.at or now
        transition = StatusTransition(
            supplier=step.supplier,
            from_status=status[pk],
            to_status=to,
            by=by,
            at=at,
            reason=reason,
            unmet_conditions=check.unmet,
            red_line=check.red_line or step.red_line,
        )
        taken.append(transition)
        results.append(transition)
        status[pk] = to
        history.append((pk, to, at, step.history_reason or reason or f"Status changed to {to.label}"))
    if taken:
        StatusTransition.objects.bulk_create(taken, batch_size=WRITE_BATCH)
        last = {pk: (to, at) for pk, to, at, _reason in history}  # the last step of each supplier wins
        bulk.update_rows(
            Supplier,
            ("status", "status_changed_at", "updated_at"),
            [(pk, to, _datetime_value(at), _datetime_value(now)) for pk, (to, at) in last.items()],
        )
        bulk.history_copy_each(
            Supplier,
            [(pk, to, _datetime_value(moment), reason) for pk, to, moment, reason in history],
            fields=("status", "status_changed_at", "history_change_reason"),
            at=now,
            by=by,
        )
    changed_at = {pk: at for pk, _to, at, _reason in history}
    for step in steps:  # the caller's objects follow their rows
        pk = step.supplier.pk
        step.supplier.status = status[pk]
        if pk in changed_at:
            step.supplier.status_changed_at = changed_at[pk]
    return results


def _datetime_value(moment: dt.datetime):
    """A date-time as the bulk statements take it: ISO text in PostgreSQL's JSON rows, else as the database
    stores it."""
    if connection.vendor == "postgresql":
        return moment.isoformat()
    return connection.ops.adapt_datetimefield_value(moment)


def supplier_transition(
    *,
    supplier: Supplier,
    to: str,
    by,
    reason: str = "",
    at: dt.datetime | None = None,
    red_line: bool = False,
    history_reason: str = "",
) -> StatusTransition:
    """Move a supplier to ``to``, or raise ``TransitionRefused`` saying why not (its ``about`` names the
    input at fault: ``to``, ``reason`` or ``red_line``).

    The step is stored with who, when, why and the gate's verdict; the supplier row is locked so that two
    people deciding at once cannot both act on a stale status. A backdated step (``at`` in the past) is
    judged on the facts as they were at its date. ``red_line``: the step is taken for a red-line issue (a
    rejection, suspension or exit), recorded as such even when no red-line finding of an audit on file was
    open at its date. ``history_reason``: what the supplier's history says (default: the reason).
    ``supplier_transitions`` takes many steps at once by the same rule.
    """
    (result,) = supplier_transitions(
        steps=[
            StepRequest(
                supplier=supplier,
                to=to,
                reason=reason,
                at=at,
                red_line=red_line,
                history_reason=history_reason,
            )
        ],
        by=by,
    )
    if isinstance(result, TransitionRefused):
        raise result
    return result


FLAG_REASON = "Flagged for suspension review by escalation"


def suppliers_flag_for_suspension_review_in_batches(
    *, batches: Iterable[dict[int, str]], at: dt.datetime | None = None
) -> list[int]:
    """Flag suppliers batch by batch (``{supplier id: reason}`` each), a fixed number of queries per batch,
    then reassess the risk of all that were newly flagged, in the risk model's own batches. Returns their
    ids. For the daily reminder run, which flags tens of thousands of suppliers at once."""
    at = at or timezone.now()
    flagged: list[int] = []
    for reasons in batches:
        flagged.extend(_flag_for_suspension_review(reasons=reasons, at=at))
    if flagged:
        risk_refresh(supplier_ids=flagged)
    return flagged


def _flag_for_suspension_review(*, reasons: dict[int, str], at: dt.datetime) -> list[int]:
    """One UPDATE sets the flag on the suppliers not flagged yet, then one INSERT … SELECT copies each newly
    flagged row into its history with the reason. Returns the ids newly flagged."""
    if not reasons:
        return []
    meta = Supplier._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    pk = quote(meta.pk.column)
    flag, reason, flagged_at = (
        quote(meta.get_field(name).column)
        for name in ("suspension_review", "suspension_review_reason", "suspension_review_at")
    )
    when = meta.get_field("suspension_review_at").get_db_prep_save(at, connection)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Table and column names come from the model, never from input; the reasons are one parameter.
            cursor.execute(
                f"UPDATE {table} SET {flag} = true, {reason} = e->>1, {flagged_at} = %s "  # noqa: S608
                f"FROM jsonb_array_elements(CAST(%s AS jsonb)) AS e "
                f"WHERE {table}.{pk} = CAST(e->>0 AS bigint) AND NOT {table}.{flag} RETURNING {table}.{pk}",
                [when, json.dumps([[supplier_id, text] for supplier_id, text in reasons.items()])],
            )
            flagged = [row[0] for row in cursor.fetchall()]
        else:
            flagged = list(
                Supplier.objects.select_for_update()
                .filter(pk__in=list(reasons), suspension_review=False)
                .values_list("pk", flat=True)
            )
            cursor.executemany(
                f"UPDATE {table} SET {flag} = %s, {reason} = %s, {flagged_at} = %s WHERE {pk} = %s",  # noqa: S608
                [(True, reasons[supplier_id], when, supplier_id) for supplier_id in flagged],
            )
        bulk.history_copy(Supplier, flagged, reason=FLAG_REASON, at=at)
    return flagged


@transaction.atomic
def supplier_clear_suspension_review(*, supplier: Supplier, by, reason: str) -> Supplier:
    """An ESG manager has reviewed the flag (and suspended the supplier, or not): clear it, with a reason."""
    if by is not None and not by.has_perm("suppliers.approve_supplier"):
        raise TransitionRefused("You may not clear suspension reviews.")
    if not reason.strip():
        raise TransitionRefused("Clearing a suspension review needs a reason.")
    locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
    locked.suspension_review = False
    locked.suspension_review_reason = ""
    locked.suspension_review_at = None
    locked._history_user = by
    locked._change_reason = f"Suspension review cleared: {reason.strip()}"
    locked.save()
    schedule_risk_refresh([locked.pk])
    return locked
