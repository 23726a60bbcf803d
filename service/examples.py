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
        query="""# Myeloma: OS by R-ISS, log-rank tests (plain and for trend), and its figure.
query MyelomaOverall($filter: CohortFilterInput) {
  cohort(filter: $filter) {
    size { value suppressed provenance { lakeVersion queryHash softwareVersion } }
    riss: risk(score: "riss") {
      categories { category n suppressed missingInputs { input n } }
    }
    survival(endpoint: OS, groupBy: {score: "riss"}, trend: true, times: [12, 24, 60]) {
      excluded
      groups { group n events median { estimate lower upper } medianFollowUp { estimate }
               atTimes { time survival lower upper nAtRisk } }
      logrank { statistic df pValue }
      trend { statistic pValue }
      provenance { lakeVersion access scoreVersions { score version }
                   privacy { epsilon noiseScale margin95 charged budgetRemaining periodEnds } }
      plotUrl(options: {medians: true})
    }
  }
}""",
        variables='{"filter": {"diseases": ["MM"]}}',
    ),
    Example(
        query="""# Myeloma: the Kaplan-Meier and log-rank options R users expect, by R-ISS.
# Quartiles (R quantile(fit)), Nelson-Aalen and the se of S at times (summary(fit, times=)),
# restricted mean survival to 5 years (print(fit, rmean = 60)), counts per year
# (summary(fit, times = c(12, 24, ...))) and the Peto-Peto test (survdiff(rho = 1)). Each
# option is computed only when asked; protected (anonymous) answers come from the same noisy
# life table as the curves, at no extra privacy cost, with interval ends on its 3-month grid.
query MyelomaSurvivalOptions {
  cohort(filter: {diseases: [MM]}) {
    survival(endpoint: OS, groupBy: {score: "riss"}, times: [24, 60],
             options: {quartiles: true, cumulativeHazard: true, restrictedMeanTau: 60,
                       intervalEnds: [12, 24, 36, 48, 60], weights: {rho: 1}}) {
      groups { group n events
               quartiles { probability estimate lower upper }
               restrictedMean { tau estimate stdErr reason }
               atTimes { time survival stdErr cumulativeHazard cumulativeHazardStdErr }
               intervals { start end nAtRisk events censored reason } }
      logrank { statistic pValue observedExpected { group observed expected } }
      weightedLogrank { testName statistic df pValue }
    }
  }
}""",
    ),
    Example(
        query="""# Myeloma staging: R-ISS vs ISS vs cytogenetics vs LDH (C-index, LR, AIC).
# Governed access only (e.g. a statistician's key): a model's statistics cannot be released
# as a protected (differentially private) answer, so the anonymous demo user gets FORBIDDEN
# naming the roles that may ask; the log-rank tests by each system below work for everyone.
query StagingComparison {
  cohort(filter: {diseases: [MM]}) {
    iss: survival(endpoint: OS, groupBy: {score: "iss"}, trend: true) {
      groups { group n events median { estimate } } logrank { statistic pValue }
    }
    riss: survival(endpoint: OS, groupBy: {score: "riss"}, trend: true) {
      groups { group n events median { estimate } } logrank { statistic pValue }
    }
    stagingComparison(scores: ["riss", "iss", "mm_cytogenetic_risk", "ldh"], endpoint: OS) {
      dropped
      systems { system stages n events lrStatistic lrDf aic
                concordance { cIndex lower upper } }
    }
  }
}""",
    ),
    Example(
        query="""# AML: ELN 2022 vs NPM1 co-mutation groups on the validation sites. The genotype
# table harmony_npm1_derived_demo_v1 was derived on the training site EU-AMLT (Cox on OS) and
# is applied unchanged here (synthetic demo data; the published HARMONY table is UNCONFIRMED).
query AmlNpm1 {
  cohort(filter: {diseases: [AML], sites: ["FR-AMLRW", "UK-AMLX"],
                  markers: [{marker: NPM1, statuses: [PRESENT]}]}) {
    size { value }
    eln: risk(score: "eln2022") { categories { category n missingInputs { input n } } }
    npm1: risk(score: "harmony_npm1_derived_demo_v1") {
      categories { category n missingInputs { input n } }
    }
    reclassification(before: "eln2022", after: "harmony_npm1_derived_demo_v1") {
      total compared moved shareMoved cells { before after n suppressed }
    }
  }
}""",
    ),
    Example(
        query="""# Allogeneic HSCT: NRM with relapse competing (Gray's test by disease), 2-year OS.
query AlloHsct {
  cohort(filter: {treatment: {transplant: ALLOGENEIC}}) {
    size { value }
    nrm: cumulativeIncidence(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT},
        groupBy: {attribute: DISEASE},
                             times: [12, 24]) {
      groups { group n causes { cause events atTimes { time estimate lower upper } } }
      grayTests { cause test { statistic pValue } }
      plotUrl(causes: [EVENT, COMPETING])
    }
    os: survival(endpoint: OS, timeZero: {origin: ALLO_TRANSPLANT}, times: [24]) {
      groups { n events atTimes { survival lower upper nAtRisk } medianFollowUp { estimate } }
    }
  }
}""",
    ),
    Example(
        query="""# CML: molecular relapse-free survival after TKI stop by Sokal group.
query CmlTkiStop {
  cohort(filter: {diseases: [CML]}) {
    size { value }
    sokal: risk(score: "sokal") { categories { category n missingInputs { input n } } }
    mrfs: survival(endpoint: MRFS, timeZero: {origin: TKI_STOP}, groupBy: {score: "sokal"},
                   times: [6, 12, 24]) {
      excluded
      groups { group n events median { estimate } atTimes { time survival nAtRisk } }
      logrank { statistic pValue }
    }
  }
}""",
    ),
    Example(
        query="""# Real-world registry: OS from diagnosis by R-ISS with delayed entry (each patient
# at risk from registry entry; governed roles only), beside the naive analysis that overstates
# it.
query RegistryDelayedEntry {
  cohort(filter: {diseases: [MM], sites: ["DE-MMRW"]}) {
    entry: histogram(attribute: REGISTRY_ENTRY_DAYS, bins: 8, lower: 0, upper: 1460) {
      bins { lower upper n }
    }
    delayed: survival(endpoint: OS, groupBy: {score: "riss"}, trend: true, times: [24, 60],
                      delayedEntry: true) {
      excluded
      groups { group n events median { estimate lower upper }
               atTimes { time survival lower upper nAtRisk } }
      logrank { statistic df pValue }
      trend { statistic pValue }
    }
    naive: survival(endpoint: OS, groupBy: {score: "riss"}, times: [24, 60]) {
      groups { group atTimes { time survival } }
    }
  }
}""",
    ),
    Example(
        query="""# Any attribute: generic filters and groups cut at your own points.
# Myeloma patients given bortezomib in line 1 and transplanted (autologous) within a year of
# diagnosis: OS by age band (<65, 65-<75, >=75; unknown ages excluded) with the trend test.
# The attributes and their codes, units and ranges are in the data dictionary.
query AnyAttribute {
  cohort(filter: {diseases: [MM], numeric: [{attribute: DAYS_TO_AUTO, max: 365}],
                  lists: [{attribute: LINE1_AGENTS, any: ["bortezomib"]}]}) {
    size { value }
    survival(endpoint: OS, groupBy: {cuts: {attribute: AGE_AT_DIAGNOSIS, at: [65, 75]}},
             trend: true, times: [60]) {
      excluded
      groups { group n events median { estimate lower upper } }
      trend { statistic pValue }
    }
  }
  ric: cohort(filter: {categorical: [{attribute: ALLO_CONDITIONING, values: ["RIC"]}]}) {
    cumulativeIncidence(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT},
                        groupBy: {attribute: ALLO_DONOR_TYPE}, times: [24]) {
      groups { group n causes { cause events atTimes { estimate lower upper } } }
    }
  }
}""",
    ),
    Example(
        query="""# Temporal criteria: the allo-transplant-in-myeloma population, patients whose
# first progression came within 24 months (730 days) of their first autologous transplant;
# and those whose second line started after a transplant. A missing date never matches.
query EarlyRelapseAfterAutologous {
  early: cohort(filter: {diseases: [MM], temporal: [{event: {event: PROGRESSION},
      after: {transplant: AUTOLOGOUS}, withinDays: 730}]}) {
    size { value }
    survival(endpoint: OS, times: [24]) { groups { n events median { estimate } } }
  }
  lineTwoAfterTransplant: cohort(filter: {temporal: [{event: {line: 2},
      after: {anyTransplant: true}}]}) {
    size { value }
  }
}""",
    ),
    Example(
        query="""# User-defined groups: imatinib only vs a second-generation TKI in CML, compared by
# Kaplan-Meier and log-rank (coxModel takes the same groupBy: governed roles). Each patient is
# in the FIRST group whose filter matches; patients in none count in `excluded`. The first
# group is the reference (Cox) and scores 1 in a trend test.
query ImatinibVsSecondGeneration {
  cohort(filter: {diseases: [CML]}) {
    survival(endpoint: OS, times: [60, 120], groupBy: {groups: [
        {name: "imatinib only", filter: {treatment: {agentsAny: [IMATINIB]},
                                         not: {treatment: {agentsAny: [NILOTINIB, DASATINIB,
                                                                       BOSUTINIB]}}}},
        {name: "second-generation TKI",
         filter: {treatment: {agentsAny: [NILOTINIB, DASATINIB, BOSUTINIB]}}}]}) {
      excluded
      groups { group n events atTimes { time survival lower upper } }
      logrank { statistic df pValue }
    }
  }
}""",
    ),
    Example(
        query="""# Myeloma: a Cox model of OS with R-ISS against stage II (a chosen reference),
# age per 10 years, log beta-2 microglobulin, sex and an age-by-sex interaction, Breslow ties,
# and the proportional-hazards check (R cox.zph, computed only because it is selected). Governed
# access only (a statistician's key); the anonymous demo user gets FORBIDDEN naming the roles.
query MyelomaCox {
  cohort(filter: {diseases: [MM]}) {
    coxModel(endpoint: OS, ties: BRESLOW,
             covariates: [{score: "riss", reference: "II"},
                          {numeric: AGE_AT_DIAGNOSIS, transform: PER_UNITS, per: 10},
                          {numeric: BETA2M_MG_L, transform: LOG},
                          {attribute: SEX}],
             interactions: [{a: "AGE_AT_DIAGNOSIS", b: "SEX"}]) {
      n events dropped ties
      coefficients { name unit hazardRatio lower upper pValue }
      likelihoodRatio { statistic df pValue }
      concordance { cIndex lower upper }
      proportionalHazards { terms { term test { statistic df pValue } }
                            globalTest { statistic df pValue } }
    }
  }
}""",
    ),
    Example(
        query="""# Allogeneic HSCT: Fine-Gray model of non-relapse mortality (relapse competing;
# R cmprsk::crr): subdistribution hazard ratios of myeloma against AML and per 10 years of age.
# Governed access only.
query AlloFineGray {
  cohort(filter: {treatment: {transplant: ALLOGENEIC}}) {
    fineGray(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT}, cause: EVENT,
             covariates: [{attribute: DISEASE, reference: "AML"},
                          {numeric: AGE_AT_DIAGNOSIS, transform: PER_UNITS, per: 10}]) {
      cause n events dropped converged
      coefficients { name unit hazardRatio lower upper pValue }
      likelihoodRatio { statistic df pValue }
    }
  }
}""",
    ),
    Example(
        query="""# A user-defined endpoint: myeloma PFS censored at allogeneic transplant,
# measured from the start of line 2, beside the catalogue's PFS. Defined from event types,
# derived exactly like the catalogue (the catalogue's PFS spelt this way gives identical
# numbers).
query DefinedEndpoint {
  cohort(filter: {diseases: [MM]}) {
    catalogue: survival(endpoint: PFS, timeZero: {origin: TREATMENT_LINE, line: 2},
                        times: [12, 24]) {
      endpoint groups { n events atTimes { time survival } }
    }
    defined: survival(definedEndpoint: {name: "PFS censored at allo-HSCT",
                                        events: [RELAPSE, PROGRESSION, DEATH],
                                        censorAtTransplant: [ALLOGENEIC]},
                      timeZero: {origin: TREATMENT_LINE, line: 2}, times: [12, 24]) {
      endpoint groups { n events atTimes { time survival } }
    }
  }
}""",
    ),
    Example(
        query="""# AML: allogeneic transplant without immortal-time bias (effect: governed roles).
# A 180-day landmark grouped by transplant status at the landmark (not "ever transplanted"),
# and the transplant as a time-varying covariate: Cox hazard ratio, Mantel-Byar test and
# Simon-Makuch curves (R tmerge + coxph / survfit on counting-process data).
query TransplantEffect {
  cohort(filter: {diseases: [AML]}) {
    landmark: survival(endpoint: OS, timeZero: {landmarkDays: 180},
                       groupBy: {exposure: {transplant: ALLOGENEIC}}, times: [12, 24]) {
      groups { group n events atTimes { time survival lower upper } }
      logrank { statistic pValue }
    }
    exposureEffect(endpoint: OS, exposure: {transplant: ALLOGENEIC}, times: [12, 24, 60]) {
      n events exposed excluded
      hazardRatio { hazardRatio lower upper pValue }
      mantelByar { statistic df pValue }
      curves { group n events median { estimate lower upper } atTimes { time survival } }
    }
  }
}""",
    ),
    Example(
        query="""# ESMO-MCBS v1.1: a grade from published numbers (VIALE-A, any role), and one
# from the lake: myeloma trial patients against a real-world external control, propensity
# weighted on age and sex (governed roles), with balance before/after and evidence level.
query ValueGrade {
  esmoMcbs(study: {comparison: {endpoint: OS, controlMedianMonths: 9.6,
      experimentalMedianMonths: 14.7, hazardRatio: {estimate: 0.66, lower: 0.52, upper: 0.85}}}) {
    grade label criteria adjustments unconfirmedRules { setting enabled effect }
  }
  cohort(filter: {diseases: [MM]}) {
    esmoMcbs(experimental: {dataOrigins: [TRIAL]}, control: {dataOrigins: [REAL_WORLD]},
             design: EXTERNAL_CONTROL, endpoint: OS,
             balanceNumeric: [AGE_AT_DIAGNOSIS], balanceCategorical: [SEX]) {
      grade { grade label reason }
      hazardRatio { estimate lower upper }
      experimental { n events median } control { n events median }
      landmarks { years controlPercent experimentalPercent }
      balance { covariate smdBefore smdAfter } effectiveControlSize excluded
      provenance { lakeVersion queryHash access }
    }
  }
}""",
    ),
    Example(
        query="""# A study's report in one step: the CML treatment-free-remission analysis (its
# questions, tables and figures: lake/analyses/definitions/cml-treatment-free-remission.toml),
# asked as you: exact for governed roles; protected for the others, models refused and listed
# in unanswered. Add html for the page (figures inline) and files { content } for the tables
# as CSV and Arrow (base64). Command line: hemalake analyse cml-treatment-free-remission --lake
query StudyReport {
  analysis(name: "cml-treatment-free-remission") {
    name version lakeVersion lakeCommittedAt access unanswered
    scoreVersions { score version }
    files { name mediaType encoding }
  }
}""",
    ),
    Example(
        query="""# The lake itself: sites, versions, data quality, registered scores and endpoints.
query LakeStatus {
  lake {
    sites { site stage loads { status lakeVersion rowsIn rowsAccepted rowsQuarantined } }
    versions { lakeVersion committedAt site }
    dataQuality { site table check n }
    scores { name version citation disease inputs }
    endpoints { name label competing origins }
  }
}""",
    ),
)
