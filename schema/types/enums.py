"""GraphQL enums generated from the model's code lists, so they can never drift from it.

Enum value names are the codes upper-cased (``not_tested`` -> ``NOT_TESTED``); the value carried
into ``lake/`` is the code itself. Type checkers see plain ``Enum`` classes.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import strawberry
from lake.cohort.attributes import LIST_ATTRIBUTES
from lake.cohort.filters import MARKER_COLUMNS
from lake.cohort.frame import CATEGORICAL_ATTRIBUTES, GROUPING_ATTRIBUTES, NUMERIC_ATTRIBUTES
from lake.model import (
    AGENTS,
    DATA_ORIGINS,
    DISEASES,
    EVENT_TYPES,
    IMWG_RESPONSES,
    MARKER_CODES,
    SEXES,
    THERAPY_STRATEGIES,
    TRANSPLANT_TYPES,
)


def code_enum(name: str, codes: tuple[str, ...], description: str) -> type[Enum]:
    """A Strawberry enum whose members are ``codes`` (names upper-cased)."""
    members = [(code.upper(), code) for code in codes]
    dynamic: type[Enum] = Enum(name, members)  # type: ignore[misc]  # functional Enum API
    return strawberry.enum(dynamic, description=description)


if TYPE_CHECKING:

    class Disease(Enum): ...

    class Sex(Enum): ...

    class DataOrigin(Enum): ...

    class Marker(Enum): ...

    class MarkerStatus(Enum): ...

    class Agent(Enum): ...

    class TransplantType(Enum): ...

    class TherapyStrategy(Enum): ...

    class ImwgResponse(Enum): ...

    class EventType(Enum): ...

    class CategoricalAttribute(Enum): ...

    class GroupingAttribute(Enum): ...

    class NumericAttribute(Enum): ...

    class ListAttribute(Enum): ...

else:
    Disease = code_enum("Disease", DISEASES, "Haematological malignancy.")
    Sex = code_enum("Sex", SEXES, "Sex at birth.")
    DataOrigin = code_enum("DataOrigin", DATA_ORIGINS, "Trial or real-world data.")
    Marker = code_enum(
        "Marker", MARKER_COLUMNS, "A tri-state genetic marker or HCT-CI comorbidity item."
    )
    MarkerStatus = code_enum(
        "MarkerStatus", MARKER_CODES, "Tri-state marker value; NOT_TESTED is never absent."
    )
    Agent = code_enum("Agent", AGENTS, "A drug given in a line of therapy.")
    TransplantType = code_enum("TransplantType", TRANSPLANT_TYPES, "Kind of transplant.")
    TherapyStrategy = code_enum(
        "TherapyStrategy", THERAPY_STRATEGIES, "Fixed-duration or continuous therapy."
    )
    ImwgResponse = code_enum(
        "ImwgResponse", IMWG_RESPONSES, "IMWG 2016 response, ordered worst (PD) to best (SCR)."
    )
    EventType = code_enum("EventType", EVENT_TYPES, "Kind of dated clinical event.")
    CategoricalAttribute = code_enum(
        "CategoricalAttribute",
        CATEGORICAL_ATTRIBUTES,
        "A categorical patient attribute of the data dictionary (or derived from treatment, "
        "transplant and event records).",
    )
    GroupingAttribute = code_enum(
        "GroupingAttribute",
        GROUPING_ATTRIBUTES,
        "A categorical attribute with one value per patient: what an analysis can group, "
        "stratify or model by (attributes holding a list, such as the agents received, can "
        "only be counted or filtered on).",
    )
    NumericAttribute = code_enum(
        "NumericAttribute",
        NUMERIC_ATTRIBUTES,
        "A numeric patient attribute (unit and range in the data dictionary).",
    )
    ListAttribute = code_enum(
        "ListAttribute",
        LIST_ATTRIBUTES,
        "An attribute holding several codes per patient (e.g. the agents received).",
    )
