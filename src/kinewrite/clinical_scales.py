"""Clinical scales, treatment events and session metadata choices: now :mod:`kinewrite.clinical`.

Kept so that ``from kinewrite.clinical_scales import ...`` goes on working: every name comes
from :mod:`kinewrite.clinical.scales`, :mod:`kinewrite.clinical.events` or
:mod:`kinewrite.clinical.metadata`.
"""

from .clinical.events import (
    BOTULINUM_PRODUCTS,
    EVENT_KINDS,
    EVENT_LABELS,
    TOXIN_MUSCLES,
    treatment_event,
)
from .clinical.metadata import (
    METADATA_CHOICES,
    METADATA_LABELS,
    patient_code_warning,
    validate_metadata,
)
from .clinical.scales import (
    ADDS_ITEMS,
    ADDS_LEVELS,
    WCRS_ITEMS,
    WCRS_MAX,
    ScaleItem,
    adds_result,
    validate_date,
    wcrs_result,
    wcrs_subscores,
)
from .errors import ClinicalInputError

__all__ = [
    "ADDS_ITEMS",
    "ADDS_LEVELS",
    "BOTULINUM_PRODUCTS",
    "EVENT_KINDS",
    "EVENT_LABELS",
    "METADATA_CHOICES",
    "METADATA_LABELS",
    "TOXIN_MUSCLES",
    "WCRS_ITEMS",
    "WCRS_MAX",
    "ClinicalInputError",
    "ScaleItem",
    "adds_result",
    "patient_code_warning",
    "treatment_event",
    "validate_date",
    "validate_metadata",
    "wcrs_result",
    "wcrs_subscores",
]
