"""Assessing the register: ``risk_refresh`` reassesses suppliers (all of them as the nightly job) and
``risk_assess`` one supplier now.

A refresh works in batches, with a fixed number of queries per batch whatever the register's size: it
reads plain values rather than model instances, and writes each batch with one statement per table
(``common.bulk``). An assessment is stored only when the supplier's inputs or the model changed since
its last one; the supplier's history records every change of its risk level or score ("Risk reassessed").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common import bulk

from .. import seams
from ..models import CountryRisk, ExternalAssessment, RiskAssessment, RiskModel, Supplier
from .evaluation import Inputs, Rules, effective_level, evaluate_for_refresh

SUPPLIER_RISK_FIELDS = ["risk_level", "risk_score", "risk_assessment"]

# What a refresh reads of each supplier: plain values, not model instances, which cost more to build than
# the assessment itself.
_SUPPLIER_VALUES = (
    "pk",
    "country",
    "commodity_id",
    "commodity__name",
    "commodity__risk_score",
    "tier",
    "category",
    "strategic",
    "annual_spend",
    "currency",
    "suspension_review",
    "suspension_review_reason",
    "risk_override_level",
    "risk_level",
    "risk_score",
    "risk_assessment_id",
    "risk_assessment__fingerprint",
)


def _batches(queryset, batch_size: int) -> Iterator[list[tuple]]:
    """Keyset pagination over suppliers' values (the primary key first): bounded memory, one query per
    batch."""
    last_pk = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:batch_size])
        if not batch:
            return
        yield batch
        last_pk = batch[-1][0]


def _latest_external(
    supplier_ids: Sequence[int], on: dt.date, *, whole_range: bool = False
) -> dict[int, tuple[str, float, str]]:
    """Each supplier's latest valid external rating, as the model reads it. With ``whole_range`` the ids are
    every supplier from the first to the last, and are selected as that range rather than one by one (a
    list of 5,000 ids costs more to pass than the query takes)."""
    latest: dict[int, tuple[str, float, str]] = {}
    if whole_range:
        of_suppliers = Q(supplier_id__gte=supplier_ids[0], supplier_id__lte=supplier_ids[-1])
    else:
        of_suppliers = Q(supplier_id__in=supplier_ids)
    valid = (
        ExternalAssessment.objects.filter(of_suppliers, assessed_on__lte=on)
        .exclude(valid_until__lt=on)
        .exclude(kind=ExternalAssessment.Kind.RBA_SAQ)
    )
    for assessment in valid.order_by("supplier_id", "-assessed_on", "-pk").only(
        "supplier_id", "kind", "score", "scale_max", "assessed_on"
    ):
        if assessment.supplier_id not in latest:
            latest[assessment.supplier_id] = (
                assessment.get_kind_display(),
                float(assessment.normalized_score),
                assessment.assessed_on.isoformat(),
            )
    return latest


def _inputs(
    values: tuple, *, country_scores: dict[str, int], facts: seams.AuditFacts, external: tuple | None
) -> Inputs:
    (
        _,
        country,
        commodity_id,
        commodity,
        commodity_score,
        tier,
        category,
        strategic,
        spend,
        currency,
        review,
        review_reason,
    ) = values[:12]
    return Inputs(
        country=country,
        country_score=country_scores.get(country),
        commodity=commodity if commodity_id else None,
        commodity_score=commodity_score if commodity_id else None,
        audit_band=facts.latest_band,
        audit_on=facts.latest_audit_on.isoformat() if facts.latest_audit_on else None,
        open_findings={k: v for k, v in sorted(facts.open_findings.items()) if v},
        red_lines=[str(issue) for issue in facts.red_lines],
        external=external,
        tier=tier,
        category=category,
        strategic=strategic,
        spend=str(spend) if spend is not None else None,
        currency=currency,
        suspension_review=(review_reason or "no reason recorded") if review else None,
    )


def _assess_batch(
    batch: list[tuple],
    *,
    rules: Rules,
    country_scores: dict[str, int],
    now: dt.datetime,
    force: bool,
    whole_range: bool,
    by=None,
) -> int:
    """Assess one batch of suppliers' values (``whole_range``: the batch holds every supplier from its first
    to its last primary key) in a fixed number of queries."""
    ids = [values[0] for values in batch]
    facts = seams.audit_facts(ids)
    externals = _latest_external(ids, timezone.localdate(now), whole_range=whole_range)
    new_assessments: list[tuple] = []  # (supplier pk, evaluation)
    updates: list[list] = []  # [supplier pk, level, score, assessment pk or None for the new one]
    moved: list[int] = []  # suppliers whose level or score changed
    for values in batch:
        pk, override, risk_level, risk_score, assessment_id, fingerprint = (values[0], *values[12:])
        inputs = _inputs(values, country_scores=country_scores, facts=facts[pk], external=externals.get(pk))
        result = evaluate_for_refresh(inputs, rules)
        level = effective_level(level=result.level, hard_rules=result.hard_rules, override=override)
        changed = risk_level != level or risk_score != result.score
        if force or assessment_id is None or fingerprint != result.fingerprint:
            new_assessments.append((pk, result))
            updates.append([pk, level, result.score, None])
        elif changed:
            updates.append([pk, level, result.score, assessment_id])
        if changed:
            moved.append(pk)
    if new_assessments:
        stored = _insert_assessments(new_assessments, model=rules.model, now=now)
        for update in updates:
            if update[3] is None:
                update[3] = stored[update[0]]
    if updates:
        _store_risk_fields(updates)
    if moved:
        bulk.history_copy(Supplier, moved, reason="Risk reassessed", by=by)
    return len(new_assessments)


def _insert_assessments(assessments: list[tuple], *, model: RiskModel, now: dt.datetime) -> dict[int, int]:
    """Insert ``(supplier pk, Outcome)`` pairs as assessments computed ``now``; returns the primary key of
    each supplier's new assessment."""
    rows = [
        (
            supplier_id,
            str(result.score),
            result.score_level,
            result.level,
            # The JSON text the evaluation made: bulk_create would spend longer quoting the factors than the
            # evaluation takes.
            result.factors_json,
            json.dumps(list(result.hard_rules)) if result.hard_rules else "[]",
            result.fingerprint,
        )
        for supplier_id, result in assessments
    ]
    varying = ("supplier", "score", "score_level", "level", "factors", "hard_rules", "fingerprint")
    meta = RiskAssessment._meta
    stored = bulk.insert_rows(
        RiskAssessment,
        varying,
        rows,
        given={"model": model.pk, "computed_at": now},
        returning=(meta.pk, meta.get_field("supplier")),
    )
    return {supplier_id: pk for pk, supplier_id in stored}


def _store_risk_fields(updates: list[list]) -> None:
    """Write ``[pk, level, score, assessment pk]`` rows to the suppliers in one statement."""
    rows = [(pk, level, str(score), assessment) for pk, level, score, assessment in updates]
    # Not bulk_update: its CASE per row and field is evaluated row by row against every other row of the
    # batch.
    bulk.update_rows(Supplier, SUPPLIER_RISK_FIELDS, rows)


def _country_scores() -> dict[str, int]:
    return {str(country): score for country, score in CountryRisk.objects.values_list("country", "score")}


def risk_refresh(
    *, supplier_ids: Iterable[int] | None = None, batch_size: int = 5000, force: bool = False, by=None
) -> int:
    """Reassess the given suppliers (all when ``None``) in batches; returns the number of new assessments."""
    rules = Rules(RiskModel.objects.current())
    country_scores = _country_scores()
    queryset = Supplier.objects.values_list(*_SUPPLIER_VALUES)
    if supplier_ids is not None:
        queryset = queryset.filter(pk__in=list(supplier_ids))
    now = timezone.now()
    created = 0
    for batch in _batches(queryset, batch_size):
        with transaction.atomic():
            created += _assess_batch(
                batch,
                rules=rules,
                country_scores=country_scores,
                now=now,
                force=force,
                whole_range=supplier_ids is None,
                by=by,
            )
    return created


def risk_assess(*, supplier: Supplier, by=None) -> RiskAssessment:
    """Assess one supplier now and store the assessment (even when nothing changed)."""
    risk_refresh(supplier_ids=[supplier.pk], force=True, by=by)
    supplier.refresh_from_db(fields=["risk_level", "risk_score", "risk_assessment"])
    return supplier.risk_assessment
