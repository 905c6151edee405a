"""The risk model: how a supplier's low / medium / high level is computed, stored and explained.

Six factors, each scored 0–100 (higher is riskier), are weighted by the current ``RiskModel`` version
(weights add up to 100) into a score of 0–100; the model's thresholds map the score to a level. Hard rules
win over the score (an open red-line finding makes the supplier high). A manual override, with a reason,
replaces the level, except where a hard rule applies. Every assessment is stored with each factor's
score, weight, contribution and the input it came from.

The modules (callers import from this package):

- ``evaluation``: one supplier's inputs, factors, score, level, hard rules and fingerprint; no database;
- ``refresh``: the batch reassessment of the register (``risk_refresh``) and of one supplier
  (``risk_assess``), storing assessments and the supplier's risk fields;
- ``overrides``: setting and clearing a manual level with a reason;
- ``explain``: why a supplier carries its level, in sentences.
"""

from .evaluation import (
    BAND_LABELS,
    FACTOR_LABELS,
    TWO_PLACES,
    Evaluation,
    Factor,
    Inputs,
    effective_level,
    evaluate,
)
from .explain import explanation
from .overrides import OverrideRefused, risk_override_clear, risk_override_set
from .refresh import SUPPLIER_RISK_FIELDS, risk_assess, risk_refresh

__all__ = [
    "BAND_LABELS",
    "FACTOR_LABELS",
    "SUPPLIER_RISK_FIELDS",
    "TWO_PLACES",
    "Evaluation",
    "Factor",
    "Inputs",
    "OverrideRefused",
    "effective_level",
    "evaluate",
    "explanation",
    "risk_assess",
    "risk_override_clear",
    "risk_override_set",
    "risk_refresh",
]
