"""Checks for uploaded files: size, and type by content (not by name). Shared by every app that takes files.

A rejected upload raises ``UploadRejected`` before anything is stored, with the HTTP status that fits (413
for too large, 400 otherwise) and a message naming the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.template.defaultfilters import filesizeformat

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
DOCUMENTS = frozenset({PDF, JPEG, PNG, XLSX, DOCX})


class UploadRejected(Exception):
    def __init__(self, message: str, *, status_code: int = 400):
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@dataclass(frozen=True)
class UploadInfo:
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is fine.
        return error.start >= len(head) - 3
    return True


def inspect_upload(
    upload, *, allowed: frozenset[str] = DOCUMENTS, max_bytes: int | None = None
) -> UploadInfo:
    """Size, type and SHA-256 of an uploaded file, or ``UploadRejected`` saying what is wrong with it."""
    name = getattr(upload, "name", None) or "upload"
    max_bytes = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    size = upload.size
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size > max_bytes:
        raise UploadRejected(
            f"{name}: the file is {filesizeformat(size)}; "
            f"the largest accepted is {filesizeformat(max_bytes)}.",
            status_code=413,
        )
    if size == 0:
        raise UploadRejected(f"{name}: the file is empty.")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    detected = kind.extension if kind else None
    if detected == "jpeg":
        detected = JPEG
    if detected is None and CSV in allowed and _looks_like_text(head):
        detected = CSV
    if detected not in allowed:
        allowed_text = ", ".join(sorted(k.upper() for k in allowed))
        found = f"its content is {detected.upper()}" if detected else "its content is not a recognised type"
        raise UploadRejected(f"{name}: {found}; accepted types are {allowed_text}.")
    digest = hashlib.sha256()
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return UploadInfo(
        name=name, kind=detected, content_type=CONTENT_TYPES[detected], size=size, sha256=digest.hexdigest()
    )
