"""ESMO-MCBS v1.1 rules the domain reference marks UNCONFIRMED, as settings.

06-value-frameworks.md could not confirm these rules from accessible sources; each is a named
setting (service settings, ``[esmo_mcbs]`` table), **disabled until filled** from the published
form (Cherny NI et al. *Ann Oncol* 2017;28:2340–2366, doi:10.1093/annonc/mdx310), and every
grade lists the ones that bear on it, enabled or not (:class:`lake.value.esmo_mcbs.RuleFlag`).

========================================  =====================================================
setting                                   rule (disabled: what happens instead)
========================================  =====================================================
form2a_landmark_grade3_points             Form 2a: landmark gain (points, at the sheet's
form2a_landmark_grade2_points             landmark) that credits grade 3 / grade 2 (disabled:
                                          only the confirmed ≥ 10 points for grade 4 counts)
form2b_grade2_short, form2b_grade2_long   Form 2b grade 2 criterion for control median PFS
                                          ≤ 6 / > 6 months (disabled: a result below grade 3
                                          is not graded)
form2b_grade1_short, form2b_grade1_long   Form 2b grade 1 criterion (disabled: as above)
form2b_plateau_upgrade                    Form 2b: +1 for a long-term plateau of the curve
                                          (disabled: not applied)
form2b_secondary_os_upgrade               Form 2b: +1 when secondary OS also improved
                                          (disabled: not applied)
form3_max_grade                           Form 3: cap on the adjusted grade (disabled: no cap
                                          beyond the scale's 5)
========================================  =====================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from lake.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Threshold:
    """A criterion ``HR_L <= hr_lower_max AND gain >= gain_months`` (HR_L: lower 95% limit)."""

    hr_lower_max: float
    gain_months: float

    def __post_init__(self) -> None:
        if not (0 < self.hr_lower_max <= 1 and math.isfinite(self.gain_months)):
            raise ConfigError(
                "an ESMO-MCBS threshold needs 0 < hr_lower_max <= 1 and a finite gain_months "
                f"(got {self.hr_lower_max}, {self.gain_months})"
            )

    def met(self, hr_lower: float, gain: float) -> bool:
        """Whether the criterion holds."""
        return hr_lower <= self.hr_lower_max and gain >= self.gain_months


@dataclass(frozen=True, slots=True)
class EsmoRules:
    """The UNCONFIRMED rules, each ``None``/``False`` (disabled) until filled (module table)."""

    form2a_landmark_grade3_points: float | None = None
    form2a_landmark_grade2_points: float | None = None
    form2b_grade2_short: Threshold | None = None
    form2b_grade2_long: Threshold | None = None
    form2b_grade1_short: Threshold | None = None
    form2b_grade1_long: Threshold | None = None
    form2b_plateau_upgrade: bool = False
    form2b_secondary_os_upgrade: bool = False
    form3_max_grade: int | None = None

    def __post_init__(self) -> None:
        for name in ("form2a_landmark_grade3_points", "form2a_landmark_grade2_points"):
            value = getattr(self, name)
            if value is not None and not 0 < value <= 100:
                raise ConfigError(f"esmo_mcbs.{name} must lie in (0, 100] points (got {value})")
        if self.form3_max_grade is not None and self.form3_max_grade not in (3, 4, 5):
            raise ConfigError(
                f"esmo_mcbs.form3_max_grade must be 3, 4 or 5 (got {self.form3_max_grade})"
            )


def rules_from_mapping(data: object, *, source: str) -> EsmoRules:
    """The ``[esmo_mcbs]`` settings table; unknown keys and wrong types fail naming the key.

    Thresholds are tables ``{hr_lower_max = ..., gain_months = ...}``.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: esmo_mcbs must be a table")
    known = {f.name: f for f in fields(EsmoRules)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(
            f"{source}: unknown esmo_mcbs setting(s) {unknown}; valid: {', '.join(known)}"
        )
    values: dict[str, object] = {}
    for name, value in data.items():
        where = f"{source}: esmo_mcbs.{name}"
        if name.startswith("form2b_grade"):
            if not isinstance(value, dict) or set(value) != {"hr_lower_max", "gain_months"}:
                raise ConfigError(f"{where} must be a table of hr_lower_max and gain_months")
            if not all(_number(v) for v in value.values()):
                raise ConfigError(f"{where}: hr_lower_max and gain_months must be numbers")
            values[name] = Threshold(float(value["hr_lower_max"]), float(value["gain_months"]))
        elif name.endswith("_upgrade"):
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be true or false (got {value!r})")
            values[name] = value
        elif name == "form3_max_grade":
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"{where} must be an integer (got {value!r})")
            values[name] = value
        else:
            if not _number(value):
                raise ConfigError(f"{where} must be a number (got {value!r})")
            values[name] = float(value)
    return EsmoRules(**values)  # type: ignore[arg-type]


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
