"""Every write of responsible minerals except registry files (``smelter_import``): declarations and their
reconciliation with the registry, manual links, smelter merges, due-diligence actions, bulk import batches.

Declarations (``declaration_import``):
- the upload is checked (size, XLSX content) and parsed (``minerals.cmrt``); an unreadable file raises
  ``DeclarationUnreadable`` and nothing is saved;
- the file is kept with what the parser found; a file with errors is ``rejected``: it does not count in the
  figures and does not displace the supplier's accepted declaration;
- a file without errors is ``accepted`` and supersedes the accepted declaration of the same supplier, year and
  family (CMRT and EMRT are separate), which is kept as ``superseded``;
- each reported smelter is matched to the registry: by smelter ID, else by look-up name, else by standard
  name, each with the metal (and the country when both sides know it); the rest stays unmatched for review;
- due diligence: every smelter of the accepted declaration that is not conformant gets the open
  ``DueDiligenceAction`` that ``conformance`` names (due diligence or replacement for a non-conformant or
  unknown smelter, a follow-up for an active one), with the deadline the policy gives; open actions the new
  declaration no longer calls for (smelter not reported, now conformant, or needing another action) are
  closed by it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from common import exceptions as errors
from common.exceptions import ApplicationError
from common.files import DECLARATION, UploadRejected, inspect_upload
from suppliers.models import Supplier

from . import conformance
from .models import (
    Declaration,
    DeclaredSmelter,
    DueDiligenceAction,
    Family,
    ImportBatch,
    ImportBatchFile,
    MineralsPolicy,
    Smelter,
    SmelterAlias,
    SmelterStatusChange,
    is_smelter_id,
    name_key,
)
from .smelter_import import country_code

logger = logging.getLogger(__name__)

WRITE_BATCH = 500
BATCH_CLAIM_LEASE = dt.timedelta(minutes=15)  # a file "importing" longer than this was a crashed worker's
MAX_ZIP_FILES = 2000

Match = DeclaredSmelter.MatchMethod
Status = Declaration.Status


class MineralsError(ApplicationError):
    """A refusal of the minerals services (``common.exceptions``)."""


class Invalid(MineralsError, errors.Invalid):
    """The input is wrong (a year out of range, no supplier found...)."""


class DeclarationUnreadable(MineralsError, errors.Invalid):
    """The file is not a CMRT/EMRT workbook that can be read; nothing was saved."""


def _parser():
    from minerals import cmrt

    return cmrt


# --- Declarations ---------------------------------------------------------------------------------------


def _yes_no(value) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    return {"yes": True, "no": False}.get(str(value).strip().lower())


def _known_smelter_ids() -> set[str]:
    return set(Smelter.objects.values_list("smelter_id", flat=True))


def _check_year(year: int) -> None:
    this_year = timezone.localdate().year
    if not 2000 <= int(year) <= this_year + 1:
        raise Invalid(
            f"The reporting year must be between 2000 and {this_year + 1}, not {year}.", field="year"
        )


def _supplier_of_company(company) -> Supplier | None:
    unique_id = (getattr(company, "unique_id", "") or "").strip()
    if unique_id:
        supplier = Supplier.objects.filter(code__iexact=unique_id).first()
        if supplier:
            return supplier
    name = (getattr(company, "name", "") or "").strip()
    if name:
        return (
            Supplier.objects.filter(Q(name__iexact=name) | Q(legal_name__iexact=name)).order_by("pk").first()
        )
    return None


def declaration_import(
    *, supplier: Supplier | None, year: int, upload, by, batch: ImportBatch | None = None
) -> Declaration:
    """Check, parse and store one CMRT/EMRT file of ``supplier`` for reporting ``year``; returns the
    declaration (accepted, or rejected with its issues). ``supplier=None``: the supplier whose code is the
    file's company unique ID, or whose name is its company name.

    Raises ``UploadRejected`` (too large, not XLSX), ``DeclarationUnreadable`` (not a readable CMRT/EMRT) or
    ``Invalid``; then nothing is saved."""
    _check_year(year)
    info = inspect_upload(upload, accept=DECLARATION)
    cmrt = _parser()
    try:
        parsed = cmrt.parse_workbook(
            upload,
            filename=info.name,
            known_smelter_ids=_known_smelter_ids(),
            max_bytes=settings.UPLOAD_MAX_BYTES,
        )
    except cmrt.UnreadableWorkbook as exc:
        raise DeclarationUnreadable(f"{info.name}: {exc}", field="file") from exc
    if supplier is None:
        supplier = _supplier_of_company(parsed.company)
        if supplier is None:
            company = parsed.company
            raise Invalid(
                f"{info.name}: no supplier has the code '{company.unique_id}' or the name "
                f"'{company.name}' given in the file; choose the supplier.",
                field="supplier",
            )
    family = str(parsed.template).upper()
    if family not in Family.values:
        raise DeclarationUnreadable(f"{info.name}: unknown template '{parsed.template}'.", field="file")
    issues = [
        {"sheet": i.sheet, "cell": i.cell, "severity": i.severity, "message": i.message}
        for i in parsed.issues
    ]
    errors = sum(1 for issue in issues if issue["severity"] == "error")
    upload.seek(0)
    with transaction.atomic():
        Supplier.objects.select_for_update().filter(pk=supplier.pk).first()  # one upload at a time
        declaration = Declaration(
            supplier=supplier,
            year=year,
            family=family,
            template=family,
            version=str(parsed.version or "")[:10],
            filename=info.name[:255],
            sha256=info.sha256,
            size=info.size,
            company_name=(parsed.company.name or "")[:255],
            effective_date=parsed.company.effective_date,
            minerals_in_scope=list(parsed.minerals_in_scope or []),
            parse_result=parsed.to_json(),
            issues=issues,
            error_count=errors,
            warning_count=len(issues) - errors,
            status=Status.REJECTED if parsed.has_errors else Status.ACCEPTED,
            uploaded_by=by,
            uploaded_at=timezone.now(),
            batch=batch,
        )
        declaration.file.save(info.name, File(upload, name=info.name), save=False)
        try:
            previous = None
            if declaration.status == Status.ACCEPTED:
                previous = (
                    Declaration.objects.select_for_update()
                    .filter(supplier=supplier, year=year, family=family, status=Status.ACCEPTED)
                    .first()
                )
                if previous:
                    previous.status = Status.SUPERSEDED
                    previous.save(update_fields=["status"])
            declaration.save()
            if previous:
                Declaration.objects.filter(pk=previous.pk).update(superseded_by=declaration)
            rows = [
                DeclaredSmelter(
                    declaration=declaration,
                    row=row.row,
                    metal=(row.metal or "").lower()[:20],
                    name=(row.name or "")[:255],
                    lookup_name=(row.lookup_name or "")[:255],
                    country=(row.country or "")[:100],
                    declared_cid=(row.smelter_id or "")[:20],
                    source=(row.source or "")[:100],
                    recycled=_yes_no(row.recycled),
                )
                for row in parsed.smelters
            ]
            reconcile(rows)
            DeclaredSmelter.objects.bulk_create(rows, batch_size=WRITE_BATCH)
            if declaration.status == Status.ACCEPTED:
                due_diligence_sync(declaration=declaration)
        except Exception:
            declaration.file.storage.delete(declaration.file.name)
            raise
    return declaration


# --- Reconciliation -----------------------------------------------------------------------------------------


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


# --- Due diligence ------------------------------------------------------------------------------------------


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


# --- Bulk import -------------------------------------------------------------------------------------------


def _zip_members(upload) -> list[tuple[str, bytes]]:
    name = getattr(upload, "name", "upload.zip")
    upload.seek(0)
    try:
        archive = zipfile.ZipFile(upload)
    except zipfile.BadZipFile as exc:
        raise Invalid(f"{name}: the ZIP archive is damaged.", field="files") from exc
    members = []
    with archive:
        entries = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and info.filename.lower().endswith(".xlsx")
            and not os.path.basename(info.filename).startswith(("~$", "."))
        ]
        if len(entries) > MAX_ZIP_FILES:
            raise Invalid(f"{name}: more than {MAX_ZIP_FILES} workbooks in one archive.", field="files")
        for info in entries:
            if info.file_size > settings.UPLOAD_MAX_BYTES:
                raise Invalid(
                    f"{name}: {info.filename} is larger than the upload limit once unpacked.", field="files"
                )
            members.append((os.path.basename(info.filename), archive.read(info)))
    if not members:
        raise Invalid(f"{name}: the archive holds no .xlsx workbook.", field="files")
    return members


def _is_zip_archive(upload) -> bool:
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    return getattr(upload, "name", "").lower().endswith(".zip") and head == b"PK\x03\x04"


def import_batch_create(*, uploads: list, year: int, supplier: Supplier | None, by) -> ImportBatch:
    """Store the uploaded files (workbooks, or ZIP archives of workbooks) as a batch and queue one import
    task per file once the batch is committed."""
    from .tasks import import_batch_file

    _check_year(year)
    files: list[tuple[str, object]] = []
    for upload in uploads:
        if _is_zip_archive(upload):
            files.extend((name, ContentFile(data, name=name)) for name, data in _zip_members(upload))
        else:
            files.append((upload.name, upload))
    if not files:
        raise Invalid("Choose at least one file.", field="files")
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            year=year, supplier=supplier, files_total=len(files), created_by=by
        )
        rows = []
        for name, content in files:
            row = ImportBatchFile(batch=batch, filename=name[:255])
            row.file.save(name, File(content, name=name), save=False)
            rows.append(row)
        ImportBatchFile.objects.bulk_create(rows, batch_size=WRITE_BATCH)
        for row in ImportBatchFile.objects.filter(batch=batch).values_list("pk", flat=True):
            import_batch_file.delay_on_commit(row)
    return batch


def _supplier_of_filename(filename: str) -> Supplier | None:
    token = re.split(r"[\s_]+", os.path.splitext(os.path.basename(filename))[0].strip())[0]
    return Supplier.objects.filter(code__iexact=token).first() if token else None


def _claim(file_id: int) -> ImportBatchFile | None:
    now = timezone.now()
    claimable = Q(status=ImportBatchFile.Status.PENDING) | Q(
        status=ImportBatchFile.Status.RUNNING, started_at__lt=now - BATCH_CLAIM_LEASE
    )
    if not ImportBatchFile.objects.filter(claimable, pk=file_id).update(
        status=ImportBatchFile.Status.RUNNING, started_at=now
    ):
        return None
    row = ImportBatchFile.objects.select_related("batch__supplier", "batch__created_by").get(pk=file_id)
    ImportBatch.objects.filter(pk=row.batch_id, status=ImportBatch.Status.PENDING).update(
        status=ImportBatch.Status.RUNNING
    )
    return row


def _finish(row: ImportBatchFile, *, failed: bool, message: str, declaration=None) -> None:
    row.status = ImportBatchFile.Status.FAILED if failed else ImportBatchFile.Status.DONE
    row.message = message
    row.declaration = declaration
    row.save(update_fields=["status", "message", "declaration"])
    counter = "files_failed" if failed else "files_done"
    ImportBatch.objects.filter(pk=row.batch_id).update(**{counter: F(counter) + 1})
    ImportBatch.objects.filter(
        pk=row.batch_id, files_total__lte=F("files_done") + F("files_failed"), finished_at__isnull=True
    ).update(status=ImportBatch.Status.DONE, finished_at=timezone.now())


def import_batch_file_process(*, file_id: int) -> bool:
    """Import one file of a batch; False when it was already imported (or is being imported). A file that
    cannot be imported, or whose declaration is rejected, counts as failed with the reason."""
    row = _claim(file_id)
    if row is None:
        return False
    batch = row.batch
    with transaction.atomic():
        supplier = batch.supplier or _supplier_of_filename(row.filename)
        try:
            with row.file.open("rb") as stored:
                upload = File(stored, name=row.filename)
                with transaction.atomic():
                    declaration = declaration_import(
                        supplier=supplier, year=batch.year, upload=upload, by=batch.created_by, batch=batch
                    )
        except (MineralsError, UploadRejected) as refused:
            _finish(row, failed=True, message=refused.message)
            return True
        except Exception as exc:  # a file that breaks the import must not stall the batch
            logger.exception("Import of %s (batch %s) failed", row.filename, batch.pk)
            _finish(
                row, failed=True, message=f"{row.filename}: could not be imported ({type(exc).__name__})."
            )
            return True
        if declaration.status == Status.REJECTED:
            _finish(
                row,
                failed=True,
                message=f"Rejected: {declaration.error_count} error(s) in the file.",
                declaration=declaration,
            )
        else:
            _finish(
                row,
                failed=False,
                message=f"Accepted for {declaration.supplier.code}: {declaration.smelters.count()} smelters.",
                declaration=declaration,
            )
    return True
