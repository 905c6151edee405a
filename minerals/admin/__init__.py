"""Responsible minerals in the Django admin: the smelter registry, the suppliers' CMRT / EMRT declarations,
due diligence on the smelters they report, bulk imports of declarations and the minerals policy.

Every change goes through ``minerals.services``; lists select their related rows in the same query. The
modules, by what a reader looks for:

- ``registry``: the smelters, with their look-up names, RMAP status history and merging of duplicates;
- ``declarations``: uploading a declaration, its issues and reported smelters, and the review of
  unmatched smelters (link each to the registry, or match again);
- ``due_diligence``: the due-diligence actions (close with a note or evidence) and the minerals policy;
- ``batches``: bulk imports of many files, with their progress per file;
- ``filters``, ``forms`` and ``display`` (status badges) serve the above.

Importing the package registers every admin.
"""

from . import batches, declarations, due_diligence, registry  # noqa: F401  (registration)
