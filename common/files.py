"""Uploaded files: what each kind of upload accepts (checked by content, never by name), where it is stored
(a random name with the extension of the detected type) and how it is served (only through an
authenticated view scoped like the record the file belongs to, as an attachment with its detected type).

A rejected upload raises ``UploadRejected`` before anything is stored, with the HTTP status that fits (413
for too large, 400 otherwise) and a message naming the file.

A model declares a file with ``PrivateFileField``, saying what it accepts and who may download it::

    report = PrivateFileField(
        upload_to=audit_report_upload_to,
        accept=files.DOCUMENTS,
        visible_to="audits.api.permissions.audits_visible_to",
    )

``visible_to`` names a function ``(*, user) -> QuerySet`` of the records (or, with ``through``, of the
parent records) the user may see; the download view (``common.views.private_file``) and the API's
download endpoints serve a file only from that queryset. ``FieldFile.url`` points to the download view, so
no page ever links to the storage.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype
from django import forms
from django.conf import settings
from django.core.files.base import File
from django.core.files.uploadhandler import FileUploadHandler
from django.db import models
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from common.workbooks import OFFICE_REFUSALS, OLE_MAGIC, ZIP_MAGIC, WorkbookRejected, inspect_office

PDF = "pdf"
JPEG = "jpg"
PNG = "png"
XLSX = "xlsx"
DOCX = "docx"
CSV = "csv"

CONTENT_TYPES = {
    PDF: "application/pdf",
    JPEG: "image/jpeg",
    PNG: "image/png",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    CSV: "text/csv",
}
UNKNOWN_CONTENT_TYPE = "application/octet-stream"

_HEAD_BYTES = 8192


@dataclass(frozen=True)
class Accept:
    """What one kind of upload accepts: the detected types, and whether a workbook may link to others."""

    kinds: frozenset[str]
    refuse_external_links: bool = False

    def __contains__(self, kind: str) -> bool:
        return kind in self.kinds

    @property
    def kinds_text(self) -> str:
        return ", ".join(sorted(kind.upper() for kind in self.kinds))


# Audit reports, finding and rectification evidence, agreements, assessment reports, due-diligence evidence.
DOCUMENTS = Accept(frozenset({PDF, JPEG, PNG, XLSX, DOCX}))
# CMRT / EMRT declarations: the RMI templates are .xlsx workbooks; a declaration must stand on its own.
DECLARATION = Accept(frozenset({XLSX}), refuse_external_links=True)


class UploadRejected(Exception):
    def __init__(self, message: str, *, status_code: int = 400):
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class UploadLimitHandler(FileUploadHandler):
    """First upload handler of the API's and the portal's requests: stops reading a multipart body as soon as
    one file passes ``settings.UPLOAD_MAX_BYTES``, removes what the other handlers spooled, and refuses with
    413, so that a huge upload is neither read to the end nor left on disk. ``inspect_upload`` checks the size
    again."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = settings.UPLOAD_MAX_BYTES

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            for handler in self.request.upload_handlers:
                if handler is not self:
                    handler.upload_interrupted()
            raise UploadRejected(
                _("%(file)s: the file is larger than %(limit)s, the largest accepted.")
                % {"file": self.file_name, "limit": filesizeformat(self.limit)},
                status_code=413,
            )
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@dataclass(frozen=True)
class UploadInfo:
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str


# --- Detection -----------------------------------------------------------------------------------------


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the end of the sample is fine.
            if error.start >= len(head) - 3:
                return True
            continue
        return True
    return False


def _head(fileobj) -> bytes:
    fileobj.seek(0)
    head = fileobj.read(_HEAD_BYTES)
    fileobj.seek(0)
    return head


def detect_kind(fileobj, *, name: str, accept: Accept | None = None) -> str | None:
    """The type of the file by its content: one of ``CONTENT_TYPES``' keys, or None when unrecognised.

    With ``accept``, anything it does not accept raises ``UploadRejected`` with a message that says what the
    file is (a macro-enabled, password-protected or externally linked workbook, an old .xls, a damaged or
    oversized package...) and what is accepted."""
    head = _head(fileobj)
    kind: str | None
    if head.startswith((ZIP_MAGIC, OLE_MAGIC)):
        try:
            office = inspect_office(fileobj, name=name)
        except WorkbookRejected as exc:
            if accept is None:
                return None
            raise UploadRejected(exc.message) from exc
        finally:
            fileobj.seek(0)
        kind = office.kind
        if accept is not None and kind in OFFICE_REFUSALS:
            raise UploadRejected(f"{name}: {OFFICE_REFUSALS[kind]}.")  # the refusal is translated
        if accept is not None and office.external_links and accept.refuse_external_links:
            raise UploadRejected(
                _(
                    "%(file)s: links to other workbooks (external links); break the links (in Excel: Data > "
                    "Edit Links > Break Link) so that the file carries its own values, and upload it again."
                )
                % {"file": name}
            )
    else:
        guessed = filetype.guess(head)
        kind = guessed.extension if guessed else None
        if kind == "jpeg":
            kind = JPEG
        if kind is None and _looks_like_text(head) and (accept is None or CSV in accept):
            kind = CSV
    if accept is not None and kind not in accept:
        if kind:
            message = _("%(file)s: its content is %(kind)s; accepted types are %(accepted)s.")
        else:
            message = _("%(file)s: its content is not a recognised type; accepted types are %(accepted)s.")
        raise UploadRejected(
            message % {"file": name, "kind": (kind or "").upper(), "accepted": accept.kinds_text}
        )
    return kind if kind in CONTENT_TYPES else None


def _size_of(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    return size


def check_size(upload, *, name: str, max_bytes: int | None = None) -> int:
    max_bytes = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    size = _size_of(upload)
    if size > max_bytes:
        raise UploadRejected(
            _("%(file)s: the file is %(size)s; the largest accepted is %(limit)s.")
            % {"file": name, "size": filesizeformat(size), "limit": filesizeformat(max_bytes)},
            status_code=413,
        )
    if size == 0:
        raise UploadRejected(_("%(file)s: the file is empty.") % {"file": name})
    return size


def inspect_upload(upload, *, accept: Accept = DOCUMENTS, max_bytes: int | None = None) -> UploadInfo:
    """Size, type and SHA-256 of an uploaded file, or ``UploadRejected`` saying what is wrong with it."""
    name = os.path.basename(getattr(upload, "name", None) or "") or "upload"
    size = check_size(upload, name=name, max_bytes=max_bytes)
    kind = detect_kind(upload, name=name, accept=accept)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return UploadInfo(
        name=name, kind=kind, content_type=CONTENT_TYPES[kind], size=size, sha256=digest.hexdigest()
    )


# --- Storage -------------------------------------------------------------------------------------------


def random_name(filename: str) -> str:
    """A random file name keeping only the extension, which ``PrivateFieldFile.save`` has set to the
    detected type: nothing of what the uploader chose reaches the storage."""
    extension = PurePosixPath(filename).suffix.lower()
    return f"{uuid.uuid4().hex}{extension if extension[1:] in CONTENT_TYPES else '.bin'}"


class PrivateFieldFile(FieldFile):
    def save(self, name, content, save=True):
        """Store ``content`` under a random name with the extension of its detected type; content the field
        does not accept raises ``UploadRejected`` and nothing is stored."""
        shown = os.path.basename(name or getattr(content, "name", "") or "") or "upload"
        if self.field.accept is not None:
            check_size(content, name=shown)
        kind = detect_kind(content, name=shown, accept=self.field.accept)
        super().save(f"upload.{kind or 'bin'}", content, save)

    @property
    def url(self) -> str:
        self._require_file()
        return reverse("private-file", kwargs={"label": self.field.label, "pk": self.instance.pk})

    @property
    def download_name(self) -> str:
        """The name a download is offered under: the record's own name for it, with the detected extension."""
        attribute = self.field.download_name
        chosen = str(getattr(self.instance, attribute, "") or "") if attribute else ""
        return os.path.basename(chosen) or f"{self.field.model._meta.model_name}-{self.instance.pk}"


class PrivateUploadField(forms.FileField):
    """The form side of ``PrivateFileField``: a refused file is a field error, not a server error."""

    def __init__(self, *, accept: Accept | None = None, **kwargs):
        self.accept = accept
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and upload is not initial and hasattr(upload, "read") and self.accept is not None:
            try:
                inspect_upload(upload, accept=self.accept)
            except UploadRejected as refused:
                raise forms.ValidationError(refused.message, code="upload") from refused
        return upload


class PrivateFileField(models.FileField):
    """A file that is never public: see the module docstring."""

    attr_class = PrivateFieldFile

    def __init__(
        self,
        *args,
        accept: Accept | None = DOCUMENTS,
        visible_to: str = "",
        through: str = "",
        download_name: str = "",
        **kwargs,
    ):
        kwargs.setdefault("max_length", 255)
        self.accept = accept
        self.visible_to = visible_to
        self.through = through
        self.download_name = download_name
        super().__init__(*args, **kwargs)

    @property
    def label(self) -> str:
        """``app_label.model.field``: how the download view names this field."""
        return f"{self.model._meta.label_lower}.{self.name}"

    def records_visible_to(self, user) -> models.QuerySet:
        """The records whose file ``user`` may download (none without a ``visible_to`` rule)."""
        records = self.model._default_manager.all()
        if not self.visible_to or not user.is_authenticated:
            return records.none()
        scoped = import_string(self.visible_to)(user=user)
        if not self.through:
            return records.filter(pk__in=scoped.values("pk"))
        return records.filter(**{f"{self.through}__in": scoped.values("pk")})

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PrivateUploadField, "accept": self.accept, **kwargs})


# --- Serving -------------------------------------------------------------------------------------------


def file_response(file: FieldFile) -> FileResponse:
    """The stored file as a download: attachment, the type detected from its content (whatever its name),
    ``nosniff`` (the paths that serve it are private: ``common.middleware``). A missing file is a 404."""
    if not file:
        raise Http404("There is no file.")
    try:
        handle = file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("The file is no longer stored.") from exc
    source = handle.file if isinstance(handle, File) else handle
    kind = detect_kind(source, name=file.name)
    name = getattr(file, "download_name", "") or PurePosixPath(file.name).name
    stem = PurePosixPath(name).stem or "download"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{stem}.{kind}" if kind else f"{stem}.bin",
        content_type=CONTENT_TYPES.get(kind, UNKNOWN_CONTENT_TYPE),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
