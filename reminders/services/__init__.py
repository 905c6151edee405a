"""The daily reminder run, one module per phase:

- ``runs``: the run (``run_reminders``, ``dry_run``), the lock runs take turns on, and the take-over of
  runs that died before notifying their reminders;
- ``scanning``: record the stage every open item has reached, once per (item, stage);
- ``flagging``: flag suppliers at the last stage for suspension review;
- ``recipients``: who is told about which reminders;
- ``digests``: one digest per recipient, and what a digest shows;
- ``sending``: send a digest once, retrying failures with backoff;
- ``items``: the run's reminders read back in batches, and their items described, for the phases above.

The escalation ladder and the rule for the stage an item has reached are in ``reminders.ladder``.
"""

from .digests import build_digests, digest_context, render_digest
from .flagging import flag_suppliers
from .recipients import recipients_for
from .runs import RunReport, dry_run, run_reminders, take_over_unfinished_runs
from .scanning import scan, scan_kind
from .sending import MAX_ATTEMPTS, backoff, digests_to_send, send_digest

__all__ = [
    "MAX_ATTEMPTS",
    "RunReport",
    "backoff",
    "build_digests",
    "digest_context",
    "digests_to_send",
    "dry_run",
    "flag_suppliers",
    "recipients_for",
    "render_digest",
    "run_reminders",
    "scan",
    "scan_kind",
    "send_digest",
    "take_over_unfinished_runs",
]
