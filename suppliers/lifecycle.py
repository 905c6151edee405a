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
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
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
    *, supplier: Supplier, on: dt.date, policy: OnboardingPolicy, facts: seams.AuditFacts
) -> Condition:
    oldest = on - dt.timedelta(days=policy.vap_max_age_days)
    latest_vap = (
        ExternalAssessment.objects.filter(
            supplier=supplier, kind=ExternalAssessment.Kind.RBA_VAP, assessed_on__lte=on
        )
        .order_by("-assessed_on")
        .first()
    )
    if latest_vap is not None and latest_vap.assessed_on >= oldest:
        return Condition("esg_evidence", True, f"RBA VAP report of {latest_vap.assessed_on:%Y-%m-%d}.")
    if policy.accept_onboarding_audit and facts.onboarding_audit_completed:
        return Condition("esg_evidence", True, "Completed onboarding audit by a third-party agency.")
    vap_text = (
        f"the latest RBA VAP report, of {latest_vap.assessed_on:%Y-%m-%d}, is older than "
        f"{policy.vap_max_age_days} days"
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


def _agreement_conditions(*, supplier: Supplier, on: dt.date, policy: OnboardingPolicy) -> list[Condition]:
    required = required_agreement_kinds(policy=policy)
    by_kind: dict[str, list[Agreement]] = {}
    for agreement in Agreement.objects.filter(supplier=supplier, kind__in=required):
        by_kind.setdefault(agreement.kind, []).append(agreement)
    conditions = []
    for kind in required:
        label = Agreement.Kind(kind).label
        records = by_kind.get(kind, [])
        in_force = [a for a in records if a.is_in_force(on)]
        if in_force:
            signed = f"{in_force[0].signed_on:%Y-%m-%d}"
            conditions.append(
                Condition(
                    kind, True, _("%(agreement)s signed on %(date)s.") % {"agreement": label, "date": signed}
                )
            )
            continue
        expired = [a for a in records if a.signed_on and a.expires_on and a.expires_on < on]
        if expired:
            last = max(expired, key=lambda a: a.expires_on)
            message = _("The %(agreement)s expired on %(date)s and has not been renewed.") % {
                "agreement": label,
                "date": f"{last.expires_on:%Y-%m-%d}",
            }
        elif records:
            message = _("The %(agreement)s has been sent but is not signed.") % {"agreement": label}
        else:
            message = _("The %(agreement)s is not on file.") % {"agreement": label}
        conditions.append(Condition(kind, False, message))
    return conditions


def admission_check(*, supplier: Supplier, on: dt.date | None = None) -> AdmissionCheck:
    """May this supplier be admitted? Every condition, met or not, described in words, on the facts as they
    were on ``on`` (default today): its assessments, agreements and audit record at that date."""
    facts = seams.audit_facts([supplier.pk], on=on)[supplier.pk]
    on = on or timezone.localdate()
    policy = OnboardingPolicy.current()
    conditions = [_evidence_condition(supplier=supplier, on=on, policy=policy, facts=facts)]
    if facts.red_lines:
        conditions.extend(
            Condition(
                "red_line",
                False,
                f"Open red-line finding {issue}. Suppliers are not admitted until "
                "red-line issues are rectified.",
            )
            for issue in facts.red_lines
        )
    else:
        conditions.append(Condition("red_line", True, "No open red-line finding."))
    conditions.extend(_agreement_conditions(supplier=supplier, on=on, policy=policy))
    return AdmissionCheck(
        supplier_id=supplier.pk, on=on, conditions=tuple(conditions), red_line=bool(facts.red_lines)
    )


def allowed_transitions(*, supplier: Supplier) -> list[str]:
    return sorted(TRANSITIONS.get(supplier.status, frozenset()))


@transaction.atomic
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
    """
    try:
        to = Status(to)
    except ValueError:
        raise TransitionRefused(f"'{to}' is not a supplier status.") from None
    reason = (reason or "").strip()
    locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
    if by is not None and not by.has_perm(permission_for(to)):
        raise TransitionRefused(f"You may not move suppliers to '{to.label}'.")
    if to not in TRANSITIONS.get(locked.status, frozenset()):
        raise TransitionRefused(
            f"A supplier in status '{Status(locked.status).label}' cannot move to '{to.label}'."
        )
    if to in REASON_REQUIRED and not reason:
        raise TransitionRefused(f"Moving a supplier to '{to.label}' needs a reason.", about="reason")
    if red_line and to not in REASON_REQUIRED:
        raise TransitionRefused(
            f"Moving a supplier to '{to.label}' is not a step taken for a red-line issue.", about="red_line"
        )

    # Judged on the facts of the step's day; a step taken now (or not dated) on the facts as they are now.
    on = timezone.localdate(at) if at is not None else None
    at = at or timezone.now()
    check = admission_check(supplier=locked, on=on)
    if to in GATED and not check.admissible:
        raise TransitionRefused(f"{locked.code} cannot be admitted:", unmet=check.unmet)

    step = StatusTransition.objects.create(
        supplier=locked,
        from_status=locked.status,
        to_status=to,
        by=by,
        at=at,
        reason=reason,
        unmet_conditions=check.unmet,
        red_line=check.red_line or red_line,
    )
    locked.status = to
    locked.status_changed_at = at
    locked._history_user = by
    locked._change_reason = history_reason or reason or f"Status changed to {to.label}"
    locked.save(update_fields=["status", "status_changed_at", "updated_at"])
    supplier.status, supplier.status_changed_at = locked.status, locked.status_changed_at
    return step


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
