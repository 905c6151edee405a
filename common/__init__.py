"""The bottom layer: machinery any app may use, which imports no app of this project.

- ``exports``: lists as XLSX or CSV downloads, safe against spreadsheet formula injection;
  ``admin.ExportMixin`` adds those downloads to an admin list.
- ``idempotency``: a POST applied once per ``Idempotency-Key`` (``IdempotentMixin`` for DRF views), the
  stored answers (``models.IdempotentRequest``) and their daily purge (``tasks``).
"""
