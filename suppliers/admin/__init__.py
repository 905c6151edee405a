"""The supplier register in the Django admin, for procurement staff and ESG managers.

Admin classes shape input and output only: status changes go through ``lifecycle.supplier_transition``,
risk through ``risk.risk_refresh`` / ``risk_override_set`` / ``risk_override_clear``, imports through
``importing.import_suppliers``. Status, risk and override fields are read-only on every form. The forms
live in ``suppliers.forms``. The modules, by what a reader looks for:

- ``supplier``: the supplier list and page, with its contacts, agreements, ratings and status history;
- ``workflow``: changing status (the list's actions and the supplier's page), recomputing and overriding
  the risk, and importing a file of suppliers;
- ``risk_model``: the risk model's versions and the assessments computed with them;
- ``reference``: business units, commodities, country risk and the onboarding policy;
- ``records``: contacts, agreements, external assessments and status changes as lists of their own;
- ``contacts``: supplier contacts' portal access: invite, invite again, deactivate, reactivate (the contact
  list of ``records`` with these steps, and the pages the supplier's contacts link to);
- ``filters`` and ``display`` (the risk badge) serve the above.

Importing the package registers every admin.
"""

from . import contacts, records, reference, risk_model  # noqa: F401  (registration)
from .supplier import SupplierAdmin

__all__ = ["SupplierAdmin"]
