"""Unit conversion to the harmonised model's canonical units (``01-myeloma.md`` §1.0).

A site reports a measurement in its lab's unit; the lake stores one canonical unit per column,
named in the column (``beta2m_mg_l``). A conversion is ``canonical = reported * factor``.

Two kinds of factor exist:

- *dimensional* factors hold for any analyte of a dimension (mass concentration, catalytic
  activity, cell count, body mass, length): mg/dL -> mg/L is x10 whatever the molecule;
- *molar* factors depend on the analyte's molar mass and are declared per harmonised column:
  beta2-microglobulin 1 mg/L = 84.7 nmol/L, creatinine 1 mg/dL = 88.4 µmol/L, haemoglobin
  (monomer, 16.11 g/mmol) 1 mmol/L = 1.611 g/dL.

Unit spellings are normalised before lookup (``µ``/``μ``/``u``/``mc`` prefixes, case, spaces,
``x10^9/L``/``10e9/L``/``G/L``), so ``ug/mL``, ``µg/ml`` and ``umol/L`` are all accepted.
"""

from __future__ import annotations

import re
from typing import Final

from lake.model import Column

#: Each dimension: normalised unit spelling -> multiplier to the dimension's base unit.
_DIMENSIONS: Final[dict[str, dict[str, float]]] = {
    # mass concentration, base mg/L
    "mass_concentration": {
        "mg/l": 1.0,
        "ug/ml": 1.0,
        "ug/l": 1e-3,
        "ng/ml": 1e-3,
        "mg/dl": 10.0,
        "g/l": 1000.0,
        "g/dl": 10000.0,
    },
    # catalytic activity concentration, base U/L (1 µkat/L = 60 U/L)
    "catalytic_activity": {"u/l": 1.0, "iu/l": 1.0, "ukat/l": 60.0},
    # number concentration, base 10^9/L (10^3/µL = 10^9/L; /µL = /mm3 = 10^6/L)
    "cell_count": {
        "10^9/l": 1.0,
        "10^3/ul": 1.0,
        "10^3/mm3": 1.0,
        "/ul": 1e-3,
        "/mm3": 1e-3,
        "cells/ul": 1e-3,
    },
    # body mass, base kg (1 lb = 0.4536 kg)
    "body_mass": {"kg": 1.0, "g": 1e-3, "lb": 0.4536, "lbs": 0.4536},
    "length": {"cm": 1.0, "mm": 0.1},
    "fraction": {"%": 1.0},
    "age": {"years": 1.0, "y": 1.0, "yr": 1.0},
}

#: Analyte-specific molar units: column name -> normalised unit -> multiplier to canonical.
_MOLAR: Final[dict[str, dict[str, float]]] = {
    "beta2m_mg_l": {"nmol/l": 1 / 84.7},
    "creatinine_mg_dl": {"umol/l": 1 / 88.4},
    "hemoglobin_g_dl": {"mmol/l": 1.611},
}

_MICRO = re.compile(r"^(µ|μ|mc)")
_TIMES_TEN = re.compile(r"^(x|\*)?10(\^|e|\*\*)?(?P<exp>\d+)/")


def normalise_unit(unit: str) -> str:
    """The lookup spelling of ``unit``: lower case, no spaces, ``u`` for micro, ``10^n/``.

    Examples
    --------
    >>> normalise_unit("µg/mL"), normalise_unit("x10E9/L"), normalise_unit("G/L")
    ('ug/ml', '10^9/l', '10^9/l')
    """
    text = unit.strip().replace(" ", "").replace("μ", "µ")
    text = re.sub(r"(?<=/)(µ|mc)", "u", text)
    text = _MICRO.sub("u", text).lower()
    text = _TIMES_TEN.sub(lambda m: f"10^{m['exp']}/", text)
    return "10^9/l" if text == "g/l" and unit.strip().startswith("G") else text


def _dimension_of(canonical: str) -> dict[str, float]:
    key = normalise_unit(canonical)
    for factors in _DIMENSIONS.values():
        if key in factors:
            return factors
    raise KeyError(f"canonical unit {canonical!r} belongs to no known dimension")


def accepted_units(column: Column) -> tuple[str, ...]:
    """The (normalised) unit spellings convertible to ``column``'s canonical unit."""
    if column.unit is None:
        return ()
    return (*_dimension_of(column.unit), *_MOLAR.get(column.name, {}))


def conversion_factor(column: Column, unit: str) -> float:
    """Multiplier taking a value reported in ``unit`` to ``column``'s canonical unit.

    Raises
    ------
    ValueError
        ``column`` has no unit, or ``unit`` is not convertible to it; the message lists the
        accepted units.
    """
    if column.unit is None:
        raise ValueError(f"column {column.name!r} is unitless; remove the unit")
    key = normalise_unit(unit)
    dimension = _dimension_of(column.unit)
    molar = _MOLAR.get(column.name, {})
    if key in molar:
        return molar[key]
    if key in dimension:
        return dimension[key] / dimension[normalise_unit(column.unit)]
    accepted = ", ".join(accepted_units(column))
    raise ValueError(
        f"unit {unit!r} cannot be converted to {column.unit} for {column.name}; "
        f"accepted units: {accepted}"
    )
