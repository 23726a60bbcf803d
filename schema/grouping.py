"""Say why a list attribute cannot group an analysis, while validating the query.

``groupBy.attribute``, ``strata`` and Cox ``categorical`` take a :class:`GroupingAttribute` (one
value per patient), so GraphQL itself refuses ``AGENTS_RECEIVED`` there ("does not exist in enum").
This rule adds the reason and the way out, with code BAD_REQUEST: a patient with several values
would fall in several groups, so filter the cohort by the attribute instead.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ArgumentNode,
    EnumValueNode,
    GraphQLError,
    ObjectFieldNode,
    ValidationRule,
    get_named_type,
)
from lake.cohort.attributes import LIST_ATTRIBUTES
from lake.query.cohorts import several_values_message
from strawberry.extensions import AddValidationRules

LIST_VALUES = frozenset(code.upper() for code in LIST_ATTRIBUTES)


class ListAttributeRule(ValidationRule):
    """Report a list attribute given where a GroupingAttribute is expected."""

    argument = ""
    field = ""

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.argument = node.name.value
        self.field = ""

    def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        self.field = node.name.value

    def enter_enum_value(self, node: EnumValueNode, *_: Any) -> None:
        expected = get_named_type(self.context.get_input_type())
        if expected is None or expected.name != "GroupingAttribute":
            return
        if node.value in LIST_VALUES:
            self.report_error(
                GraphQLError(
                    several_values_message(
                        ".".join(filter(None, (self.argument, self.field))), node.value
                    ),
                    node,
                    extensions={"code": "BAD_REQUEST"},
                )
            )


class ExplainListAttributes(AddValidationRules):
    """The :class:`ListAttributeRule` as a schema extension."""

    def __init__(self) -> None:
        super().__init__([ListAttributeRule])
