"""Writing a checked file: smelters created and updated in bulk with their history, a ``SmelterStatusChange``
for every RMAP status that changes, and look-up names added or moved to the smelter the file names; all in
the caller's one transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from common.countries import country_code
from common.history import fit_change_reason

from ..models import Smelter, SmelterAlias, SmelterStatusChange, name_key
from .result import Entry, RowError, SmelterImportResult

LOOKUP_CHUNK = 1000  # smelter ids or alias names per lookup query
WRITE_BATCH = 500  # rows per bulk statement


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(smelter_ids: list[str]) -> dict[str, Smelter]:
    found: dict[str, Smelter] = {}
    for chunk in _chunks(smelter_ids, LOOKUP_CHUNK):
        found.update({s.smelter_id: s for s in Smelter.objects.filter(smelter_id__in=chunk)})
    return found


def _check_new(entries: list[Entry], existing: dict[str, Smelter], result: SmelterImportResult) -> None:
    for entry in entries:
        if entry.smelter_id in existing:
            continue
        missing = [label for label, value in (("name", entry.name), ("metal", entry.metal)) if not value]
        if missing:
            result.errors.append(
                RowError(
                    result.filename,
                    result.sheet,
                    entry.row,
                    ", ".join(missing),
                    f"{entry.smelter_id} is not in the registry yet: its {' and '.join(missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} needed",
                )
            )


def _apply(smelter: Smelter, entry: Entry, filename: str) -> bool:
    """Copy what the file gives onto the smelter; True when something changed."""
    wanted: dict[str, Any] = {}
    if entry.name:
        wanted["name"] = entry.name
        wanted["name_key"] = name_key(entry.name)
    if entry.metal:
        wanted["metal"] = entry.metal
    if entry.country_name is not None:
        wanted["country_name"] = entry.country_name
        wanted["country"] = country_code(entry.country_name)
    for column, field_name in (("city", "city"), ("state", "state_province")):
        value = getattr(entry, column)
        if value is not None:
            wanted[field_name] = value
    if entry.rmap_status is not None:
        wanted["rmap_status"] = entry.rmap_status
    if entry.status_date is not None:
        wanted["status_date"] = entry.status_date
    changed = False
    for field_name, value in wanted.items():
        current = getattr(smelter, field_name)
        if str(current if current is not None else "") != str(value):
            setattr(smelter, field_name, value)
            changed = True
    if changed:
        smelter.source_file = filename[:255]
    return changed


@transaction.atomic
def write_entries(entries: list[Entry], result: SmelterImportResult, *, by) -> None:
    existing = _existing([entry.smelter_id for entry in entries])
    _check_new(entries, existing, result)
    if result.errors:
        return
    now = timezone.now()
    reason = fit_change_reason(f"Imported from {result.filename}")
    to_create: list[Smelter] = []
    to_update: list[Smelter] = []
    changes: list[SmelterStatusChange] = []
    for entry in entries:
        smelter = existing.get(entry.smelter_id)
        if smelter is None:
            smelter = Smelter(smelter_id=entry.smelter_id)
            _apply(smelter, entry, result.filename)
            to_create.append(smelter)
            continue
        before = smelter.rmap_status
        if not _apply(smelter, entry, result.filename):
            result.unchanged += 1
            continue
        to_update.append(smelter)
        if smelter.rmap_status != before:
            changes.append(
                SmelterStatusChange(
                    smelter=smelter,
                    from_status=before,
                    to_status=smelter.rmap_status,
                    status_date=smelter.status_date,
                    source_file=result.filename[:255],
                    changed_at=now,
                    changed_by=by,
                )
            )
    fields = [
        "name",
        "name_key",
        "metal",
        "country",
        "country_name",
        "city",
        "state_province",
        "rmap_status",
        "status_date",
        "source_file",
        "updated_at",
    ]
    for smelter in to_update:
        smelter.updated_at = now
    for chunk in _chunks(to_create, WRITE_BATCH):
        bulk_create_with_history(
            list(chunk), Smelter, batch_size=WRITE_BATCH, default_user=by, default_change_reason=reason
        )
    for chunk in _chunks(to_update, WRITE_BATCH):
        bulk_update_with_history(
            list(chunk),
            Smelter,
            fields,
            batch_size=WRITE_BATCH,
            default_user=by,
            default_change_reason=reason,
        )
    SmelterStatusChange.objects.bulk_create(changes, batch_size=WRITE_BATCH)
    result.created, result.updated, result.status_changes = len(to_create), len(to_update), len(changes)
    _write_aliases(entries, result)


def _write_aliases(entries: list[Entry], result: SmelterImportResult) -> None:
    wanted: dict[tuple[str, str], tuple[str, str]] = {}  # (metal, key) -> (smelter_id, name)
    for entry in entries:
        metal = entry.metal
        for alias in entry.aliases:
            wanted.setdefault((metal or "", name_key(alias)), (entry.smelter_id, alias))
    if not wanted:
        return
    smelters = _existing(sorted({smelter_id for smelter_id, _ in wanted.values()}))
    wanted = {
        (metal or smelters[smelter_id].metal, key): (smelter_id, alias)
        for (metal, key), (smelter_id, alias) in wanted.items()
    }
    current: dict[tuple[str, str], SmelterAlias] = {}
    keys = sorted({key for _, key in wanted})
    for chunk in _chunks(keys, LOOKUP_CHUNK):
        for alias in SmelterAlias.objects.filter(name_key__in=chunk):
            current[(alias.metal, alias.name_key)] = alias
    to_create, to_move = [], []
    for (metal, key), (smelter_id, name) in wanted.items():
        smelter = smelters[smelter_id]
        alias = current.get((metal, key))
        if alias is None:
            to_create.append(SmelterAlias(smelter=smelter, metal=metal, name=name[:255], name_key=key[:255]))
        elif alias.smelter_id != smelter.pk:
            alias.smelter = smelter
            to_move.append(alias)
    SmelterAlias.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
    SmelterAlias.objects.bulk_update(to_move, ["smelter"], batch_size=WRITE_BATCH)
    result.aliases_created, result.aliases_moved = len(to_create), len(to_move)
