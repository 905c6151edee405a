"""The audit programme in the Django admin: ESG managers decide, procurement staff read.

Admin classes shape input and output only; every decision calls a service. The modules, by what a reader
looks for:

- ``agencies``: audit agencies and their auditors, code provisions, the audit and deadline policy;
- ``audit``: the audit list and page, and planning one audit;
- ``workflow``: the audit's pages that accept, return or cancel it, and the annual audit plan;
- ``findings``: the CAP tracker (findings with their plans, progress, extensions and evidence);
- ``closure``: extension requests, closure verifications and evidence files;
- ``filters``, ``forms`` and ``display`` (badges and how facts are shown) serve the above.

Importing the package registers every admin.
"""

from . import agencies, audit, closure, findings  # noqa: F401  (registration)
