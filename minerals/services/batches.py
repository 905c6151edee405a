"""Bulk import batches: uploaded workbooks (or ZIP archives of them) stored as a batch, one task per file,
each file claimed once and imported as a declaration, the batch's progress counted as files finish.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import zipfile

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from common.files import UploadRejected
from suppliers.models import Supplier

from ..models import ImportBatch, ImportBatchFile
from .declarations import _check_year, declaration_import
from .shared import WRITE_BATCH, Invalid, MineralsError, Status

logger = logging.getLogger(__name__)

BATCH_CLAIM_LEASE = dt.timedelta(minutes=15)  # a file "importing" longer than this was a crashed worker's
MAX_ZIP_FILES = 2000


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
    from ..tasks import import_batch_file

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
