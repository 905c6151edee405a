"""E-mail backends for the Celery worker of the integration tests.

The worker is another process, so the test cannot read ``django.core.mail.outbox``: instead every message the
worker sends becomes a JSON file under ``$INTEGRATION_MAIL_DIR/sent/``, written atomically so that a test
polling the directory never reads half a message.

``FlakyFileEmailBackend`` behaves like a mail server that refuses each recipient's first attempt and accepts
the next one. Attempts are counted with files under ``$INTEGRATION_MAIL_DIR/attempts/`` (created with
``O_EXCL``), so the count holds across the worker's processes.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import time
import uuid
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend

MAIL_DIR_VARIABLE = "INTEGRATION_MAIL_DIR"


def mail_dir() -> Path:
    value = os.environ.get(MAIL_DIR_VARIABLE, "")
    if not value:
        raise ImproperlyConfigured(
            f"{MAIL_DIR_VARIABLE} is not set: the directory the worker writes mails to."
        )
    return Path(value)


def read_mails(directory: Path) -> list[dict]:
    """Every message written to ``directory`` so far, oldest first."""
    sent = directory / "sent"
    if not sent.is_dir():
        return []
    return [json.loads(path.read_text()) for path in sorted(sent.glob("*.json"))]


def attempts_for(directory: Path, recipient: str) -> int:
    """How many times the flaky backend was asked to send to ``recipient``."""
    folder = directory / "attempts" / _safe(recipient)
    return len(list(folder.iterdir())) if folder.is_dir() else 0


def _safe(recipient: str) -> str:
    return re.sub(r"[^\w@.+-]", "_", recipient.lower())


class FileEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            try:
                self._deliver(message)
            except Exception:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent

    def _deliver(self, message) -> None:
        folder = mail_dir() / "sent"
        folder.mkdir(parents=True, exist_ok=True)
        payload = {
            "from": message.from_email,
            "to": list(message.to),
            "cc": list(message.cc),
            "bcc": list(message.bcc),
            "subject": message.subject,
            "body": message.body,
            "alternatives": [
                {"content": content, "mimetype": mimetype}
                for content, mimetype in getattr(message, "alternatives", [])
            ],
            "pid": os.getpid(),
        }
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.json"
        partial = folder / f".{name}.partial"
        partial.write_text(json.dumps(payload, indent=2))
        os.replace(partial, folder / name)


class FlakyFileEmailBackend(FileEmailBackend):
    """Refuses the first attempt for each recipient (the server drops the connection), delivers the next."""

    def _deliver(self, message) -> None:
        recipients = ",".join(sorted(message.recipients()))
        if self._record_attempt(recipients) == 1:
            raise smtplib.SMTPServerDisconnected(
                f"Connection unexpectedly closed while sending to {recipients}"
            )
        super()._deliver(message)

    def _record_attempt(self, recipients: str) -> int:
        folder = mail_dir() / "attempts" / _safe(recipients)
        folder.mkdir(parents=True, exist_ok=True)
        number = 1
        while True:
            try:
                os.close(os.open(folder / f"{number:03d}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                number += 1
            else:
                return number
