"""Example queries preloaded as GraphiQL tabs, one per study question.

Each must validate against the schema (a test checks), so they track the schema as it grows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Example:
    """One GraphiQL tab: a named operation and its variables (JSON text)."""

    query: str
    variables: str = ""


EXAMPLES: tuple[Example, ...] = (
    Example(
        query="""# Myeloma: OS by R-ISS. The cohort, its R-ISS inputs and their completeness.
query MyelomaOverall($filter: CohortFilterInput) {
  cohort(filter: $filter) {
    size { value suppressed provenance { lakeVersion queryHash softwareVersion } }
    bySite: breakdown(attribute: SITE) { total categories { category n suppressed } }
    survival(endpoint: OS, groupBy: SEX, times: [12, 24, 60], timeUnit: MONTHS) {
      groups { group n events median { estimate lower upper } atTimes { time survival nAtRisk } }
      logrank { statistic df pValue }
    }
    completeness(
      categorical: [DEL17P, T4_14, T14_16]
      numeric: [BETA2M_MG_L, ALBUMIN_G_DL, LDH_U_L]
    ) {
      fields { attribute known notTested missing }
    }
  }
}""",
        variables='{"filter": {"diseases": ["MM"]}}',
    ),
    Example(
        query="""# Myeloma staging comparison (R-ISS vs ISS vs cytogenetics vs LDH): input coverage.
query StagingInputs {
  cohort(filter: {diseases: [MM]}) {
    beta2m: histogram(attribute: BETA2M_MG_L, bins: 8) { bins { lower upper n } missing }
    albumin: histogram(attribute: ALBUMIN_G_DL, bins: 8) { bins { lower upper n } missing }
    del17p: breakdown(attribute: DEL17P) { categories { category n } }
  }
}""",
    ),
    Example(
        query="""# AML: ELN 2022 vs NPM1 co-mutation groups. NPM1-mutated patients by co-mutation.
query AmlNpm1 {
  cohort(filter: {diseases: [AML], markers: [{marker: NPM1, statuses: [PRESENT]}]}) {
    size { value }
    flt3: breakdown(attribute: FLT3_ITD) { categories { category n suppressed } }
    dnmt3a: breakdown(attribute: DNMT3A) { categories { category n suppressed } }
  }
}""",
    ),
    Example(
        query="""# Allogeneic HSCT: NRM with relapse competing, 2-year OS. The transplanted cohort.
query AlloHsct {
  cohort(filter: {treatment: {transplant: ALLOGENEIC}}) {
    size { value }
    byDisease: breakdown(attribute: DISEASE) { categories { category n } }
    events: breakdown(attribute: EVENT_TYPES) { categories { category n suppressed } }
  }
}""",
    ),
    Example(
        query="""# CML: molecular relapse-free survival after TKI stop by Sokal group. Who stopped.
query CmlTkiStop {
  cohort(filter: {diseases: [CML], hadEvents: [TKI_STOP]}) {
    size { value }
    agents: breakdown(attribute: AGENTS_RECEIVED) { categories { category n suppressed } }
    age: histogram(attribute: AGE_AT_DIAGNOSIS, bins: 6) { bins { lower upper n } }
  }
}""",
    ),
)
