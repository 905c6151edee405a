"""Importing one CMRT/EMRT declaration: the upload checked and parsed, the supplier found, the file stored
with what the parser found, the accepted declaration superseding the older one, its smelters matched
(``matching``) and its due-diligence actions opened (``due_diligence``).

Checking before submitting (the portal's two steps): ``declaration_check`` runs the same checks and parser
on a file and keeps it as a ``DeclarationDraft`` with the checker's messages, counted nowhere;
``declaration_submit`` imports the draft's file through ``declaration_import`` and refuses it while it has
errors. The file is kept between the two steps (rather than asked for again) so that a contact on a phone
submits exactly the file they saw checked, without choosing it twice; a draft lives ``DRAFT_HOURS``.

Refusals a supplier contact sees are translated when raised (the portal's language; English elsewhere);
the parser's messages are stored in English with what translates them (``minerals.cmrt.result``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.exceptions import Conflict
from common.files import DECLARATION, UploadInfo, inspect_upload
from suppliers.models import Supplier

from ..models import Declaration, DeclarationDraft, DeclaredSmelter, Family, ImportBatch, Smelter
from .due_diligence import due_diligence_sync
from .matching import reconcile
from .shared import WRITE_BATCH, DeclarationUnreadable, Invalid, Status

DRAFT_HOURS = 24


class DeclarationHasErrors(Invalid):
    """A file submitted while the checker still finds errors in it; ``extra["issues"]`` lists them."""


def _parser():
    from minerals import cmrt

    return cmrt


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
            _("The reporting year must be between 2000 and %(last)d, not %(year)s.")
            % {"last": this_year + 1, "year": year},
            field="year",
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


def _stored_issue(issue) -> dict:
    """An issue as a declaration or a draft keeps it: English, and what translates it."""
    return {
        "sheet": issue.sheet,
        "cell": issue.cell,
        "severity": issue.severity,
        "message": issue.message,
        "text": getattr(issue, "text", ""),
        "params": getattr(issue, "params", {}),
    }


@dataclass(frozen=True)
class _Checked:
    """A file that passed the upload checks and was parsed: what every path stores from."""

    info: UploadInfo
    parsed: object  # minerals.cmrt.ParseResult
    family: str
    issues: list[dict]

    @property
    def errors(self) -> int:
        return sum(1 for issue in self.issues if issue["severity"] == "error")


def _checked(*, year: int, upload) -> _Checked:
    """The one check of a declaration file, whatever path it comes by: the year, the upload (size, XLSX
    content: ``UploadRejected``), the parse (``DeclarationUnreadable``) and the template."""
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
        reason = exc.localized() if hasattr(exc, "localized") else str(exc)
        raise DeclarationUnreadable(
            _("%(file)s: %(reason)s") % {"file": info.name, "reason": reason}, field="file"
        ) from exc
    family = str(parsed.template).upper()
    if family not in Family.values:
        raise DeclarationUnreadable(
            _("%(file)s: unknown template '%(template)s'.")
            % {"file": info.name, "template": parsed.template},
            field="file",
        )
    upload.seek(0)
    return _Checked(info=info, parsed=parsed, family=family, issues=[_stored_issue(i) for i in parsed.issues])


def _refuse_errors(checked: _Checked) -> None:
    if checked.errors:
        raise DeclarationHasErrors(
            ngettext(
                "%(file)s still has %(count)d error; correct it in the file and upload the file again.",
                "%(file)s still has %(count)d errors; correct them in the file and upload the file again.",
                checked.errors,
            )
            % {"file": checked.info.name, "count": checked.errors},
            field="file",
            extra={"issues": checked.issues},
        )


def declaration_import(
    *,
    supplier: Supplier | None,
    year: int,
    upload,
    by,
    batch: ImportBatch | None = None,
    refuse_errors: bool = False,
) -> Declaration:
    """Check, parse and store one CMRT/EMRT file of ``supplier`` for reporting ``year``; returns the
    declaration (accepted, or rejected with its issues). ``supplier=None``: the supplier whose code is the
    file's company unique ID, or whose name is its company name.

    Raises ``UploadRejected`` (too large, not XLSX), ``DeclarationUnreadable`` (not a readable CMRT/EMRT) or
    ``Invalid``; with ``refuse_errors``, ``DeclarationHasErrors`` for a file the checker finds errors in
    instead of storing it as rejected. Then nothing is saved."""
    checked = _checked(year=year, upload=upload)
    info, parsed, family, issues = checked.info, checked.parsed, checked.family, checked.issues
    if supplier is None:
        supplier = _supplier_of_company(parsed.company)
        if supplier is None:
            company = parsed.company
            raise Invalid(
                f"{info.name}: no supplier has the code '{company.unique_id}' or the name "
                f"'{company.name}' given in the file; choose the supplier.",
                field="supplier",
            )
    if refuse_errors:
        _refuse_errors(checked)
    errors = checked.errors
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


# --- Checking before submitting ----------------------------------------------------------------------------


def _drafts_delete(drafts) -> int:
    """Delete drafts and, once the deletion is committed, their files."""
    doomed = list(drafts)
    for draft in doomed:
        name, storage = draft.file.name, draft.file.storage
        if name:
            transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))
    DeclarationDraft.objects.filter(pk__in=[draft.pk for draft in doomed]).delete()
    return len(doomed)


def declaration_check(*, supplier: Supplier, year: int, upload, by) -> DeclarationDraft:
    """Check and parse a CMRT/EMRT file as ``declaration_import`` would and keep it, with the checker's
    messages, as a draft that counts nowhere. The same person's earlier drafts for the supplier and every
    draft older than ``DRAFT_HOURS`` are deleted.

    Raises what ``declaration_import`` raises for an unusable file; then nothing is kept."""
    checked = _checked(year=year, upload=upload)
    info, parsed = checked.info, checked.parsed
    with transaction.atomic():
        cutoff = timezone.now() - dt.timedelta(hours=DRAFT_HOURS)
        _drafts_delete(
            DeclarationDraft.objects.filter(Q(created_at__lt=cutoff) | Q(supplier=supplier, created_by=by))
        )
        draft = DeclarationDraft(
            supplier=supplier,
            year=year,
            family=checked.family,
            version=str(parsed.version or "")[:10],
            filename=info.name[:255],
            sha256=info.sha256,
            size=info.size,
            company_name=(parsed.company.name or "")[:255],
            smelter_count=len(parsed.smelters),
            issues=checked.issues,
            error_count=checked.errors,
            warning_count=len(checked.issues) - checked.errors,
            created_by=by,
        )
        draft.file.save(info.name, File(upload, name=info.name), save=False)
        try:
            draft.save()
        except Exception:
            draft.file.storage.delete(draft.file.name)
            raise
    return draft


def declaration_submit(*, draft: DeclarationDraft, by) -> Declaration:
    """Submit a checked file: ``declaration_import`` of the draft's file for its supplier and year, refused
    (``DeclarationHasErrors``) while the checker finds errors in it; the draft is then deleted. A draft
    already submitted or deleted is a ``Conflict``."""
    with transaction.atomic():
        locked = (
            DeclarationDraft.objects.select_for_update()
            .filter(pk=draft.pk)
            .select_related("supplier")
            .first()
        )
        if locked is None:
            raise Conflict(
                _(
                    "This checked file is no longer kept (submitted already, or older than %(hours)d hours); "
                    "upload it again."
                )
                % {"hours": DRAFT_HOURS},
                field="file",
            )
        with locked.file.open("rb") as handle:
            declaration = declaration_import(
                supplier=locked.supplier,
                year=locked.year,
                upload=File(handle, name=locked.filename),
                by=by,
                refuse_errors=True,
            )
        _drafts_delete([locked])
    return declaration
