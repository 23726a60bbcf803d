"""Shared pieces of the bundled site profiles: data cutoff, FISH panel, code maps, column builders.

The builders declare once which harmonised column each kind of source column feeds (patients
constants, the death cause, transplant and treatment-line files); a site profile passes only its
own spellings (source column names and code maps), in the order its export writes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

from loaders.synthetic.profile import Col

CUTOFF = dt.date(2025, 6, 30)
FISH = ("del17p", "t4_14", "t14_16", "gain1q")
#: Conditioning intensity already written in the model's codes.
CONDITIONING_AS_IS: Final = {"MAC": "MAC", "RIC": "RIC", "NMA": "NMA"}
#: EBMT-style registry donor codes.
REGISTRY_DONORS: Final = {
    "MRD": "matched_related",
    "MUD": "matched_unrelated",
    "MMUD": "mismatched_unrelated",
    "HAPLO": "haploidentical",
    "CB": "cord_blood",
}
#: EBMT-style registry stem-cell source codes.
REGISTRY_SOURCES: Final = {"BM": "bone_marrow", "PB": "peripheral_blood", "CB": "cord_blood"}
#: EBMT-style registry disease status at transplant.
REGISTRY_STATUSES: Final = {
    "CR1": "CR1",
    "CR2": "CR2",
    "CR3+": "CR3_plus",
    "VGPR": "VGPR",
    "PR": "PR",
    "SD": "stable_disease",
    "REL": "relapse",
    "REF": "refractory",
    "UNTR": "untreated",
}


def markers(present: str, absent: str, not_tested: str) -> dict[str, str]:
    """Tri-state marker codes in the site's spelling."""
    return {present: "present", absent: "absent", not_tested: "not_tested"}


def yes_no(yes: str, no: str) -> dict[str, bool]:
    """Boolean codes in the site's spelling."""
    return {yes: True, no: False}


def patient_constants(
    *, disease: str, data_origin: str, source_study: str | None = None
) -> dict[str, str]:
    """Constant ``patients`` values of a file (``source_study`` only when the site has one)."""
    constants = {"patients.disease": disease, "patients.data_origin": data_origin}
    if source_study is not None:
        constants["patients.source_study"] = source_study
    return constants


def death_cause(source: str, codes: Mapping[str, str]) -> Col:
    """A wide-format death-cause column: an attribute of the ``death`` event."""
    return Col(source, event="death", attribute="death_cause", codes=codes)


def transplant_columns(
    *,
    transplant_type: str,
    type_codes: Mapping[str, str],
    date: str,
    conditioning: str,
    conditioning_codes: Mapping[str, str] = CONDITIONING_AS_IS,
    donor: str | None = None,
    donor_codes: Mapping[str, str] = REGISTRY_DONORS,
    in_first_remission: str | None = None,
    remission_codes: Mapping[str, bool] | None = None,
    stem_cell_source: str | None = None,
    source_codes: Mapping[str, str] = REGISTRY_SOURCES,
    disease_status: str | None = None,
    status_codes: Mapping[str, str] = REGISTRY_STATUSES,
) -> tuple[Col, ...]:
    """Columns of a transplants file: type, date, conditioning, then donor, CR1, stem-cell
    source and disease status at transplant where the site exports them."""
    columns = [
        Col(transplant_type, to="transplants.transplant_type", codes=type_codes),
        Col(date, to="transplants.transplant_date"),
        Col(conditioning, to="transplants.conditioning", codes=conditioning_codes),
    ]
    if donor is not None:
        columns.append(Col(donor, to="transplants.donor_type", codes=donor_codes))
    if in_first_remission is not None:
        columns.append(
            Col(in_first_remission, to="transplants.in_first_remission", codes=remission_codes)
        )
    if stem_cell_source is not None:
        columns.append(Col(stem_cell_source, to="transplants.stem_cell_source", codes=source_codes))
    if disease_status is not None:
        columns.append(Col(disease_status, to="transplants.disease_status", codes=status_codes))
    return tuple(columns)


def treatment_line_columns(
    *,
    line: str,
    regimen: str,
    agents: str,
    agents_split: str,
    agent_codes: Mapping[str, str],
    start: str,
    end: str,
    strategy: str,
    strategy_codes: Mapping[str, str],
    best_response: str | None = None,
    response_codes: Mapping[str, str] | None = None,
) -> tuple[Col, ...]:
    """Columns of a treatment-lines file, in export order; best response only if exported."""
    columns = [
        Col(line, to="treatment_lines.line_number"),
        Col(regimen, to="treatment_lines.regimen"),
        Col(agents, to="treatment_lines.agents", split=agents_split, codes=agent_codes),
        Col(start, to="treatment_lines.start_date"),
        Col(end, to="treatment_lines.end_date"),
        Col(strategy, to="treatment_lines.strategy", codes=strategy_codes),
    ]
    if best_response is not None:
        columns.append(Col(best_response, to="treatment_lines.best_response", codes=response_codes))
    return tuple(columns)
