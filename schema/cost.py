"""What expensive fields cost; :class:`schema.limits.DocumentLimits` enforces the limit.

Each field has a cost (default 0). The cost of an operation is the sum over its field selections
*as executed*: a fragment counts at every spread of it (a fragment of four survivals spread by
four aliased cohorts costs sixteen survivals), fragments spread inside fragments multiply, inline
fragments count where written, and aliases count once each. A document's cost is that of its
costliest operation (only one runs). Each fragment's cost is computed once, so the rule's time is
linear in the document however often fragments are spread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

#: Cost of each (type, field); fields not listed are free.
FIELD_COSTS: Final[Mapping[tuple[str, str], int]] = {
    ("Query", "cohort"): 1,
    # a study analysis asks its own questions, each within the limits: one per document
    ("Query", "analysis"): 50,
    ("Cohort", "size"): 1,
    ("Cohort", "breakdown"): 2,
    ("Cohort", "histogram"): 2,
    ("Cohort", "completeness"): 2,
    ("Cohort", "risk"): 3,
    ("Cohort", "reclassification"): 4,
    ("Cohort", "survival"): 10,
    ("SurvivalGroup", "steps"): 5,
    ("CauseIncidence", "steps"): 5,
    ("Cohort", "cumulativeIncidence"): 10,
    ("Cohort", "coxModel"): 10,
    ("Cohort", "fineGray"): 10,
    ("Cohort", "exposureEffect"): 10,
    ("Cohort", "stagingComparison"): 15,
    ("Cohort", "esmoMcbs"): 10,
}
