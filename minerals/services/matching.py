"""Matching declared smelters to the registry: by smelter ID, else look-up name, else standard name
(``reconcile``); matching again after the registry grew, linking a row by hand, and merging a duplicate
registry entry into the smelter kept.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from common.countries import country_code

from ..models import (
    Declaration,
    DeclaredSmelter,
    DueDiligenceAction,
    Smelter,
    SmelterAlias,
    SmelterStatusChange,
    is_smelter_id,
    name_key,
)
from .due_diligence import _close, _smelter_key, due_diligence_sync
from .shared import WRITE_BATCH, Invalid, Status

Match = DeclaredSmelter.MatchMethod


def _kept(smelter: Smelter | None) -> Smelter | None:
    """The smelter a merged duplicate now lives on."""
    while smelter is not None and smelter.merged_into_id is not None:
        smelter = smelter.merged_into
    return smelter


def _country_agrees(declared: str, smelter: Smelter) -> bool:
    code = country_code(declared)
    return not code or not smelter.country or code == smelter.country


def reconcile(rows: Iterable[DeclaredSmelter]) -> None:
    """Set ``smelter`` and ``match_method`` of declared rows (unsaved or saved; nothing is written): by
    smelter ID, else look-up name, else standard name, with the metal and the country. One query per kind of
    lookup, whatever the number of rows."""
    rows = list(rows)
    for row in rows:
        row.smelter, row.match_method = None, Match.UNMATCHED
    ids = {
        row.declared_cid.strip().upper() for row in rows if is_smelter_id(row.declared_cid.strip().upper())
    }
    by_id = {}
    if ids:
        by_id = {
            s.smelter_id: s
            for s in Smelter.objects.filter(smelter_id__in=ids).select_related("merged_into__merged_into")
        }
    pending = []
    for row in rows:
        smelter = _kept(by_id.get(row.declared_cid.strip().upper()))
        if smelter is not None:
            row.smelter, row.match_method = smelter, Match.CID
        else:
            pending.append(row)
    if not pending:
        return
    keys = {name_key(text) for row in pending for text in (row.lookup_name, row.name) if text}
    keys.discard("")
    if not keys:
        return
    aliases: dict[tuple[str, str], Smelter] = {
        (alias.metal, alias.name_key): alias.smelter
        for alias in SmelterAlias.objects.filter(name_key__in=keys).select_related(
            "smelter__merged_into__merged_into"
        )
    }
    standard: dict[tuple[str, str], list[Smelter]] = {}
    for smelter in Smelter.objects.current().filter(name_key__in=keys):
        standard.setdefault((smelter.metal, smelter.name_key), []).append(smelter)
    for row in pending:
        metal = row.metal.lower()
        for text in (row.lookup_name, row.name):
            smelter = _kept(aliases.get((metal, name_key(text))))
            if smelter and _country_agrees(row.country, smelter):
                row.smelter, row.match_method = smelter, Match.ALIAS
                break
        if row.smelter is not None:
            continue
        candidates = [
            s for s in standard.get((metal, name_key(row.name)), []) if _country_agrees(row.country, s)
        ]
        if len(candidates) == 1:
            row.smelter, row.match_method = candidates[0], Match.NAME


def declarations_rematch(*, declarations: Iterable[Declaration]) -> int:
    """Match the unmatched rows of declarations again (after the registry grew); returns how many rows were
    matched now. Accepted declarations get their due-diligence actions updated."""
    matched = 0
    for declaration in declarations:
        with transaction.atomic():
            rows = list(declaration.smelters.filter(smelter__isnull=True))
            reconcile(rows)
            found = [row for row in rows if row.smelter is not None]
            DeclaredSmelter.objects.bulk_update(found, ["smelter", "match_method"], batch_size=WRITE_BATCH)
            matched += len(found)
            if found and declaration.status == Status.ACCEPTED:
                due_diligence_sync(declaration=declaration)
    return matched


def declared_smelter_link(*, declared: DeclaredSmelter, smelter: Smelter | None, by) -> DeclaredSmelter:
    """Link a declared row to a registry smelter by hand (``None`` unlinks it)."""
    with transaction.atomic():
        smelter = _kept(smelter)
        declared.smelter = smelter
        declared.match_method = Match.MANUAL if smelter else Match.UNMATCHED
        declared.matched_by = by if smelter else None
        declared.matched_at = timezone.now() if smelter else None
        declared.save(update_fields=["smelter", "match_method", "matched_by", "matched_at"])
        declaration = declared.declaration
        if declaration.status == Status.ACCEPTED:
            due_diligence_sync(declaration=declaration, by=by)
    return declared


@transaction.atomic
def smelter_merge(*, duplicate: Smelter, into: Smelter, by) -> Smelter:
    """Merge a duplicate registry entry into the smelter kept: its look-up names (and its standard name as
    one), declared rows, due-diligence actions and status history move over; the duplicate stays as a
    record pointing to the kept smelter, so its smelter ID still finds it."""
    into = _kept(Smelter.objects.select_related("merged_into").get(pk=into.pk))
    duplicate = Smelter.objects.get(pk=duplicate.pk)
    if duplicate.pk == into.pk:
        raise Invalid(f"{duplicate.smelter_id} cannot be merged into itself.", field="merge_into")
    if duplicate.metal != into.metal:
        raise Invalid(
            f"{duplicate.smelter_id} is a {duplicate.metal} smelter and {into.smelter_id} a {into.metal} "
            "one: only smelters of the same metal can be merged.",
            field="merge_into",
        )
    taken = set(SmelterAlias.objects.filter(smelter=into).values_list("metal", "name_key"))
    moving = list(SmelterAlias.objects.filter(smelter=duplicate))
    for alias in moving:
        if (alias.metal, alias.name_key) in taken:
            alias.delete()
        else:
            alias.smelter = into
            alias.save(update_fields=["smelter"])
            taken.add((alias.metal, alias.name_key))
    if (duplicate.metal, duplicate.name_key) not in taken and duplicate.name_key:
        SmelterAlias.objects.filter(metal=duplicate.metal, name_key=duplicate.name_key).delete()
        SmelterAlias.objects.create(
            smelter=into, metal=duplicate.metal, name=duplicate.name, name_key=duplicate.name_key
        )
    DeclaredSmelter.objects.filter(smelter=duplicate).update(smelter=into)
    SmelterStatusChange.objects.filter(smelter=duplicate).update(smelter=into)
    for action in DueDiligenceAction.objects.open().filter(smelter=duplicate):
        clash = DueDiligenceAction.objects.open().filter(
            supplier_id=action.supplier_id, year=action.year, family=action.family, key=_smelter_key(into)
        )
        if clash.exists():
            _close(action, by=by, note=f"Duplicate of the action on {into.smelter_id} (smelters merged).")
        else:
            action.smelter, action.key = into, _smelter_key(into)
            action.save(update_fields=["smelter", "key"])
    DueDiligenceAction.objects.filter(smelter=duplicate).update(smelter=into)
    Smelter.objects.filter(merged_into=duplicate).update(merged_into=into)
    duplicate.merged_into = into
    duplicate._history_user = by
    duplicate._change_reason = f"Merged into {into.smelter_id}"
    duplicate.save()
    return into
