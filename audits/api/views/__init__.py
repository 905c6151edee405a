"""The audit programme over HTTP: auditors record audits, ESG managers decide, supplier contacts carry out the
corrective action. Each action finds the object in the caller's scope (``permissions``), checks the role,
calls one service of ``audits.services`` and shapes the answer.

Errors (``common.errors.exception_handler``): a service's ``Invalid`` answers 400 ``{"detail", "field"}``,
its ``Conflict`` 409 ``{"detail"}``; a rejected upload 413 (too large) or 400 (wrong type) ``{"detail"}``
naming the file. Every POST honours an
``Idempotency-Key`` header (``common.idempotency``).

The modules, by resource (``urls`` routes the three viewsets):

- ``audits``: ``AuditViewSet``;
- ``findings``: ``FindingViewSet`` (evidence, corrective action, closure, progress and extension requests);
- ``extensions``: ``ExtensionViewSet`` (decisions on extension requests);
- ``base``: the upload limit, error answers, idempotency and pagination every viewset shares;
- ``schema``: the documented error answers and the schema of a POST action.
"""

from .audits import AuditViewSet
from .extensions import ExtensionViewSet
from .findings import FindingViewSet

__all__ = ["AuditViewSet", "ExtensionViewSet", "FindingViewSet"]
