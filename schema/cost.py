"""A cost limit for expensive fields, enforced while validating the query.

Each field has a cost (default 0); the sum over every field selection in the document must not
exceed the limit. Aliases multiply cost naturally (each aliased selection counts), and the alias
and token limiters bound the document size, so fragments are counted once where written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from graphql import FieldNode, GraphQLError, ValidationContext, ValidationRule
from strawberry.extensions import AddValidationRules

#: Cost of each (type, field); fields not listed are free.
FIELD_COSTS: Final[Mapping[tuple[str, str], int]] = {
    ("Query", "cohort"): 1,
    ("Cohort", "size"): 1,
    ("Cohort", "breakdown"): 2,
    ("Cohort", "histogram"): 2,
    ("Cohort", "completeness"): 2,
    ("Cohort", "risk"): 3,
    ("Cohort", "reclassification"): 4,
    ("Cohort", "survival"): 10,
    ("SurvivalGroup", "steps"): 5,
    ("Cohort", "cumulativeIncidence"): 10,
    ("Cohort", "coxModel"): 10,
    ("Cohort", "stagingComparison"): 15,
}


class CostLimiter(AddValidationRules):
    """Reject documents whose summed field cost exceeds ``max_cost`` (code COST_LIMIT_EXCEEDED)."""

    def __init__(self, max_cost: int, costs: Mapping[tuple[str, str], int] = FIELD_COSTS) -> None:
        class CostRule(ValidationRule):
            def __init__(self, context: ValidationContext) -> None:
                super().__init__(context)
                self.total = 0

            def enter_field(self, node: FieldNode, *_: Any) -> None:
                parent = self.context.get_parent_type()
                if parent is not None:
                    self.total += costs.get((parent.name, node.name.value), 0)

            def leave_document(self, *_: Any) -> None:
                if self.total > max_cost:
                    self.report_error(
                        GraphQLError(
                            f"query cost {self.total} exceeds the limit of {max_cost}; "
                            "split it into several requests",
                            extensions={"code": "COST_LIMIT_EXCEEDED"},
                        )
                    )

        super().__init__([CostRule])
