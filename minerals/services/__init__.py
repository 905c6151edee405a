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

The modules (callers import the services from this package):

- ``declarations``: importing one CMRT/EMRT file;
- ``matching``: declared smelters matched to the registry, matched again, linked by hand; smelters merged;
- ``declarations`` also checks a file before it is submitted (``declaration_check``: a draft counted
  nowhere) and submits it (``declaration_submit``: refused while it has errors);
- ``due_diligence``: the actions a declaration opens and closes, the supplier's answer to one
  (``dd_action_respond``), and closing one on evidence;
- ``batches``: bulk imports, one Celery task per file, with progress;
- ``shared``: the refusals and the write batch size.
"""

from .batches import import_batch_create, import_batch_file_process
from .declarations import (
    DRAFT_HOURS,
    DeclarationHasErrors,
    declaration_check,
    declaration_import,
    declaration_submit,
)
from .due_diligence import dd_action_close, dd_action_respond, due_diligence_sync
from .matching import declarations_rematch, declared_smelter_link, reconcile, smelter_merge
from .shared import DeclarationUnreadable, Invalid, MineralsError

__all__ = [
    "DRAFT_HOURS",
    "DeclarationHasErrors",
    "DeclarationUnreadable",
    "Invalid",
    "MineralsError",
    "dd_action_close",
    "dd_action_respond",
    "declaration_check",
    "declaration_import",
    "declaration_submit",
    "declarations_rematch",
    "declared_smelter_link",
    "due_diligence_sync",
    "import_batch_create",
    "import_batch_file_process",
    "reconcile",
    "smelter_merge",
]
