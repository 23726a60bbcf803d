"""The root Query type."""

from __future__ import annotations

from typing import Annotated

import strawberry
from lake.analyses.definition import definition_names, load_definition
from lake.cohort.filters import EVERYONE
from lake.dictionary.entries import entries
from lake.errors import HemalakeError
from lake.model import MODEL_VERSION
from strawberry.types import Info

from schema.analyses import run_analysis
from schema.context import Context
from schema.errors import BadRequestError, public_error
from schema.fields import resolver
from schema.inputs.cohort_filter import CohortFilterInput
from schema.inputs.value import EsmoStudyInput
from schema.lake_calls import call_lake
from schema.types.analysis import AnalysisReport
from schema.types.cohort import Cohort
from schema.types.dictionary import DictionaryEntry
from schema.types.lake import LAKE_VERSION, Lake
from schema.types.value import EsmoGrade


@strawberry.type(description="Everything hemalake answers: cohorts and the lake itself.")
class Query:
    @resolver(description="A cohort selected by a typed filter; omit the filter for all patients.")
    def cohort(
        self,
        info: Info[Context, None],
        filter: Annotated[  # the GraphQL argument name
            CohortFilterInput | None, strawberry.argument(description="Which patients.")
        ] = None,
        lake_version: Annotated[int | None, strawberry.argument(description=LAKE_VERSION)] = None,
    ) -> Cohort | None:
        if lake_version is not None and lake_version < 0:
            raise BadRequestError(f"lakeVersion must be 0 or more (got {lake_version})")
        try:
            cohort_filter = EVERYONE if filter is None else filter.to_filter()
        except HemalakeError as error:
            raise public_error(error) from error
        return Cohort(key=(lake_version, cohort_filter))

    @resolver(
        description="Run a named study analysis (a versioned definition in the repository: "
        f"{', '.join(definition_names())}) and return its report. Each of its questions is "
        "asked as you, through the same rules as any query (exact for governed roles, "
        "protected for the others, every question audited), on one lake version."
    )
    async def analysis(
        self,
        info: Info[Context, None],
        name: Annotated[str, strawberry.argument(description="The analysis.")],
        lake_version: Annotated[int | None, strawberry.argument(description=LAKE_VERSION)] = None,
    ) -> AnalysisReport:
        definition = await call_lake(load_definition, name)
        context = info.context
        try:
            report = await run_analysis(
                info.schema,
                lambda: Context.for_request(
                    caller=context.caller, gateway=context.gateway, audit=context.audit
                ),
                definition,
                lake_version=lake_version,
            )
        except HemalakeError as error:
            raise public_error(error) from error
        return AnalysisReport.of(report)

    @resolver(description="The data dictionary: every column of the harmonised model.")
    def dictionary(
        self,
        table: Annotated[
            str | None,
            strawberry.argument(description="Only this table's columns (e.g. patients)."),
        ] = None,
    ) -> list[DictionaryEntry]:
        return [DictionaryEntry.of(e) for e in entries() if table is None or e.table == table]

    @resolver(description="The lake itself: sites, versions, scores, endpoints, data quality.")
    def lake(self) -> Lake:
        return Lake()

    @resolver(
        description="ESMO-MCBS v1.1 grade of published summary statistics (no lake data: any "
        "role). Forms 2a/2b from the HR and its CI, medians and landmarks; Form 3 for a single arm."
    )
    async def esmo_mcbs(
        self,
        info: Info[Context, None],
        study: Annotated[
            EsmoStudyInput, strawberry.argument(description="The summary statistics to grade.")
        ],
    ) -> EsmoGrade:
        try:
            typed = study.to_study()
        except HemalakeError as error:
            raise public_error(error) from error
        return EsmoGrade.of(
            await call_lake(info.context.gateway.value_grade, info.context.caller, typed)
        )

    @resolver(description="Version of the harmonised model the lake follows.")
    def model_version(self) -> str:
        return MODEL_VERSION
