"""The supplier register: suppliers, their contacts, agreements, external assessments, lifecycle
history, and the risk model with its stored assessments.

Rules live in ``services``/``selectors`` modules (``lifecycle.py``, ``services.py``, the ``risk`` package);
models hold data, constraints and row-level facts. The modules, by what a reader looks for:

- ``reference``: the reporting region, risk levels, business units, commodities, country risk and the
  onboarding policy;
- ``supplier``: who may be a buyer, the supplier itself and its status transitions;
- ``records``: contacts, agreements and external assessments, with where their files are stored;
- ``risk_model``: the risk model's versions and the stored risk assessments.

Every model and every name other code imports is importable from ``suppliers.models``; migrations
refer to ``suppliers.models.agreement_upload_to`` and ``suppliers.models.assessment_upload_to``.
"""

from .records import (
    Agreement,
    AgreementText,
    Contact,
    ExternalAssessment,
    agreement_upload_to,
    assessment_upload_to,
)
from .reference import (
    MAINLAND_CHINA,
    BusinessUnit,
    Commodity,
    CountryRisk,
    OnboardingPolicy,
    Region,
    RiskLevel,
    currency_validator,
    region_for_country,
    score_validators,
)
from .risk_model import RiskAssessment, RiskModel, RiskModelQuerySet
from .supplier import (
    BUYER_NOT_ELIGIBLE,
    ELIGIBLE_BUYER,
    StatusTransition,
    Supplier,
    SupplierQuerySet,
    buyer_not_eligible_message,
    eligible_buyers,
)

__all__ = [
    "BUYER_NOT_ELIGIBLE",
    "ELIGIBLE_BUYER",
    "MAINLAND_CHINA",
    "Agreement",
    "AgreementText",
    "BusinessUnit",
    "Commodity",
    "Contact",
    "CountryRisk",
    "ExternalAssessment",
    "OnboardingPolicy",
    "Region",
    "RiskAssessment",
    "RiskLevel",
    "RiskModel",
    "RiskModelQuerySet",
    "StatusTransition",
    "Supplier",
    "SupplierQuerySet",
    "agreement_upload_to",
    "assessment_upload_to",
    "buyer_not_eligible_message",
    "currency_validator",
    "eligible_buyers",
    "region_for_country",
    "score_validators",
]
