"""Importing one CMRT/EMRT declaration: the upload checked and parsed, the supplier found, the file stored
with what the parser found, the accepted declaration superseding the older one, its smelters matched
(``matching``) and its due-diligence actions opened (``due_diligence``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common.files import DECLARATION, inspect_upload
from suppliers.models import Supplier

from ..models import Declaration, DeclaredSmelter, Family, ImportBatch, Smelter
from .due_diligence import due_diligence_sync
from .matching import reconcile
from .shared import WRITE_BATCH, DeclarationUnreadable, Invalid, Status


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
