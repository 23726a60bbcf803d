"""A cost limit for expensive fields, enforced while validating the query.

Each field has a cost (default 0). The cost of an operation is the sum over its field selections
*as executed*: a fragment counts at every spread of it (a fragment of four survivals spread by
four aliased cohorts costs sixteen survivals), fragments spread inside fragments multiply, inline
fragments count where written, and aliases count once each. A document's cost is that of its
costliest operation (only one runs). Fragment cycles are refused by GraphQL's own validation
(``NoFragmentCyclesRule``); the rule here never follows a cycle, so it always terminates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Final

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    ValidationContext,
    ValidationRule,
)
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


class DefinitionCost:
    """What one operation or fragment costs by itself, and which fragments it spreads."""

    def __init__(self) -> None:
        self.own = 0
        self.spreads: Counter[str] = Counter()


def document_cost(operations: list[DefinitionCost], fragments: Mapping[str, DefinitionCost]) -> int:
    """The cost of the costliest operation, every fragment counted at each of its spreads.

    A fragment's total is memoised (so deep fan-out stays linear); a spread of an unknown
    fragment, or one that closes a cycle, counts 0 (validation reports both).
    """
    totals: dict[str, int] = {}
    visiting: set[str] = set()

    def total(definition: DefinitionCost) -> int:
        return definition.own + sum(
            count * fragment_total(name) for name, count in definition.spreads.items()
        )

    def fragment_total(name: str) -> int:
        if name in totals:
            return totals[name]
        if name in visiting or name not in fragments:
            return 0
        visiting.add(name)
        totals[name] = total(fragments[name])
        visiting.discard(name)
        return totals[name]

    return max((total(op) for op in operations), default=0)


class CostLimiter(AddValidationRules):
    """Reject documents whose cost exceeds ``max_cost`` (code COST_LIMIT_EXCEEDED)."""

    def __init__(self, max_cost: int, costs: Mapping[tuple[str, str], int] = FIELD_COSTS) -> None:
        class CostRule(ValidationRule):
            def __init__(self, context: ValidationContext) -> None:
                super().__init__(context)
                self.operations: list[DefinitionCost] = []
                self.fragments: dict[str, DefinitionCost] = {}
                self.current = DefinitionCost()

            def enter_operation_definition(self, *_: Any) -> None:
                self.current = DefinitionCost()
                self.operations.append(self.current)

            def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
                self.current = DefinitionCost()
                self.fragments[node.name.value] = self.current

            def enter_field(self, node: FieldNode, *_: Any) -> None:
                parent = self.context.get_parent_type()
                if parent is not None:
                    self.current.own += costs.get((parent.name, node.name.value), 0)

            def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
                self.current.spreads[node.name.value] += 1

            def leave_document(self, *_: Any) -> None:
                total = document_cost(self.operations, self.fragments)
                if total > max_cost:
                    self.report_error(
                        GraphQLError(
                            f"query cost {total} exceeds the limit of {max_cost}; "
                            "split it into several requests",
                            extensions={"code": "COST_LIMIT_EXCEEDED"},
                        )
                    )

        super().__init__([CostRule])
