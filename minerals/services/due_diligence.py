"""Due diligence on the smelters of an accepted declaration: each smelter that is not conformant gets the
action ``conformance`` names, actions the declaration no longer calls for are closed, the supplier answers an
open action with what they did and their evidence (``dd_action_respond``), and an ESG manager closes an
action on the supplier's evidence (``dd_action_close``).

What these steps store (action labels, closing notes) is written in English whatever language the request
that caused them is in; the refusals a supplier contact may see are translated when raised.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.exceptions import Conflict
from common.files import inspect_upload

from .. import conformance
from ..models import Declaration, DeclaredSmelter, DueDiligenceAction, MineralsPolicy, Smelter, name_key
from .shared import WRITE_BATCH, Invalid


def _smelter_key(smelter: Smelter) -> str:
    return f"smelter:{smelter.pk}"


@dataclass(frozen=True)
class _Reported:
    """A smelter the declaration reports (its first row) and what it needs (``conformance.need_of``)."""

    row: DeclaredSmelter
    need: conformance.Need | None

    @property
    def label(self) -> str:
        row = self.row
        if row.smelter is not None:
            return f"{row.smelter.smelter_id} {row.smelter.name} ({row.smelter.get_metal_display()})"[:300]
        name = row.name or row.lookup_name or "unnamed smelter"
        declared_id = f" {row.declared_cid}" if row.declared_cid else ""
        country = f", {row.country}" if row.country else ""
        return f"{name}{declared_id} ({row.metal}{country}; row {row.row})"[:300]


def _reported(declaration: Declaration) -> dict[str, _Reported]:
    """Every smelter the declaration reports, by the key its action carries."""
    reported: dict[str, _Reported] = {}
    for row in declaration.smelters.select_related("smelter").order_by("row"):
        if row.smelter is not None:
            key = _smelter_key(row.smelter)
        else:
            label = name_key(row.name or row.lookup_name or row.declared_cid) or f"row {row.row}"
            key = f"unknown:{row.metal}:{label}"[:300]
        if key not in reported:
            reported[key] = _Reported(row=row, need=conformance.need_of(row.smelter))
    return reported


def _close(action: DueDiligenceAction, *, by=None, note: str = "", declaration=None, evidence=None) -> None:
    action.status = DueDiligenceAction.Status.CLOSED
    action.closed_at = timezone.now()
    action.closed_by = by
    action.closed_by_declaration = declaration
    if note:
        action.note = f"{action.note}\n{note}".strip()
    if evidence is not None:
        action.evidence.save(evidence.name, File(evidence, name=evidence.name), save=False)
    action._history_user = by
    action.save()


def _closing_note(declaration: Declaration, reported: _Reported | None) -> str:
    """Why the declaration closes an open action: the smelter is no longer reported, it counts as conformant
    now, or it needs another action (its RMAP status changed)."""
    uploaded = f"{declaration.filename} (uploaded {timezone.localtime(declaration.uploaded_at):%Y-%m-%d})"
    if reported is None:
        return f"No longer reported in declaration {uploaded}."
    if reported.need is None:
        return f"RMAP conformant when declaration {uploaded} was matched: nothing more is needed."
    reason = DueDiligenceAction.Reason(reported.need.reason).label
    return f"{reason} in declaration {uploaded}: a new action replaces this one."


def due_diligence_sync(*, declaration: Declaration, by=None) -> tuple[int, int]:
    """Give every smelter of the (accepted) declaration that is not conformant the action ``conformance``
    names, unless it has that action open, and close the supplier's open actions of that year and family
    that the declaration no longer calls for. Returns (opened, closed)."""
    with translation.override(settings.LANGUAGE_CODE):  # labels and notes are stored: the records' language
        return _sync(declaration=declaration, by=by)


def _sync(*, declaration: Declaration, by) -> tuple[int, int]:
    reported = _reported(declaration)
    open_actions = {
        action.key: action
        for action in DueDiligenceAction.objects.open()
        .select_for_update()
        .filter(supplier_id=declaration.supplier_id, year=declaration.year, family=declaration.family)
    }
    still_open = []
    for key, action in open_actions.items():
        smelter = reported.get(key)
        if smelter is not None and smelter.need is not None and smelter.need.reason == action.reason:
            action.declared = smelter.row
            still_open.append(action)
        else:
            _close(action, by=by, declaration=declaration, note=_closing_note(declaration, smelter))
    kept = {action.key for action in still_open}
    policy, today = MineralsPolicy.current(), timezone.localdate()
    new = [
        DueDiligenceAction(
            supplier_id=declaration.supplier_id,
            year=declaration.year,
            family=declaration.family,
            key=key,
            smelter=smelter.row.smelter,
            declared=smelter.row,
            metal=smelter.row.metal,
            smelter_label=smelter.label,
            reason=smelter.need.reason,
            kind=smelter.need.kind,
            deadline=smelter.need.deadline(policy=policy, on=today),
        )
        for key, smelter in reported.items()
        if smelter.need is not None and key not in kept
    ]
    DueDiligenceAction.objects.bulk_create(new, batch_size=WRITE_BATCH)
    DueDiligenceAction.objects.bulk_update(still_open, ["declared"], batch_size=WRITE_BATCH)
    return len(new), len(open_actions) - len(still_open)


def dd_action_close(*, action: DueDiligenceAction, by, note: str, evidence=None) -> DueDiligenceAction:
    """An ESG manager closes an action on the supplier's evidence (a file and/or a note)."""
    note = (note or "").strip()
    if not note and evidence is None:
        raise Invalid("Give a note or attach the evidence that closes the action.", field="note")
    if evidence is not None:
        inspect_upload(evidence)
    with transaction.atomic():
        locked = DueDiligenceAction.objects.select_for_update().get(pk=action.pk)
        if locked.status != DueDiligenceAction.Status.OPEN:
            raise Invalid(f"The action on {locked.smelter_label} is already closed.", field="status")
        _close(locked, by=by, note=note, evidence=evidence)
    return locked


def dd_action_respond(*, action: DueDiligenceAction, by, note: str, evidence=None) -> DueDiligenceAction:
    """The supplier answers an open action: what they did (third-party due diligence under RMAP, the smelter
    replaced, the outcome of its RMAP assessment) and, optionally, the evidence (the same file checks as
    every upload). The action stays open for an ESG manager to close on it (``dd_action_close``) or to ask
    for more; a later answer replaces the earlier one, which the action's history keeps."""
    note = (note or "").strip()
    if not note:
        raise Invalid(_("Say what you did about this smelter."), field="note")
    if evidence is not None:
        inspect_upload(evidence)
    with transaction.atomic():
        locked = DueDiligenceAction.objects.select_for_update().get(pk=action.pk)
        if locked.status != DueDiligenceAction.Status.OPEN:
            raise Conflict(
                _("This action was closed on %(date)s; it needs no answer.")
                % {"date": f"{timezone.localtime(locked.closed_at):%Y-%m-%d}"},
                field="status",
            )
        locked.response = note
        locked.responded_at = timezone.now()
        locked.responded_by = by
        if evidence is not None:
            locked.evidence.save(evidence.name, File(evidence, name=evidence.name), save=False)
        locked._history_user = by
        locked._change_reason = "Supplier response"
        locked.save()
    return locked
