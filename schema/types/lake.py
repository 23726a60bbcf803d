"""The lake itself: sites and loads, versions, scores, endpoints, data quality and queries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from lake.cohort.endpoints import CATALOGUE, describe
from lake.cohort.risk import cohort_use
from lake.endpoints import EndpointDefinition
from lake.privacy.ledger import Balance
from lake.risk.registry import REGISTRY
from lake.risk.spec import RiskScore as RegisteredScore
from strawberry.types import Info

from schema.context import Context
from schema.fields import resolver
from schema.lake_calls import call_lake
from schema.permissions import CanReadSiteOperations
from schema.types.survival import TimeOrigin

LAKE_VERSION = "Pin a lake version (Delta time travel); omit for the newest version."


@strawberry.type(description="One load attempt of a site.")
class Load:
    load_id: str = strawberry.field(description="Load identifier.")
    status: str = strawberry.field(description="committed, unchanged or failed.")
    started_at: dt.datetime = strawberry.field(description="Start (UTC).")
    finished_at: dt.datetime = strawberry.field(description="End (UTC).")
    lake_version: int | None = strawberry.field(description="Lake version it produced or kept.")
    spec_version: str | None = strawberry.field(description="Version of the site's mapping spec.")
    rows_in: int | None = strawberry.field(description="Rows read.")
    rows_accepted: int | None = strawberry.field(description="Rows accepted.")
    rows_quarantined: int | None = strawberry.field(description="Rows quarantined.")
    message: str | None = strawberry.field(
        description="The loader's full failure message; only data managers of the site and "
        "administrators see it (null for everyone else: it may quote source values)."
    )
    failure: str | None = strawberry.field(
        description="Class of failure of a failed load (what the loader was doing), for everyone."
    )


@strawberry.type(description="A site: its onboarding stage and its loads, newest first.")
class Site:
    site: str = strawberry.field(description="Site code.")
    stage: str = strawberry.field(
        description="Onboarding stage last reached: registered, uploaded, mapped, validated, "
        "finalised."
    )
    reached_at: dt.datetime = strawberry.field(description="When the stage was reached (UTC).")
    loads: list[Load] = strawberry.field(description="Load history, newest first.")


@strawberry.type(description="A Delta version of one table within a lake version.")
class TableVersion:
    table: str = strawberry.field(description="Table name.")
    delta_version: int = strawberry.field(description="Its Delta version (time travel).")


@strawberry.type(description="A lake version: one committed load, atomic for readers.")
class LakeVersion:
    lake_version: int = strawberry.field(description="The version number (pin it in queries).")
    committed_at: dt.datetime = strawberry.field(description="Commit time (UTC).")
    site: str = strawberry.field(description="Site whose load made it.")
    load_id: str = strawberry.field(description="The load.")
    tables: list[TableVersion] = strawberry.field(description="Delta version of every table.")


@strawberry.type(description="A registered risk score.")
class RiskScore:
    name: str = strawberry.field(description="Name (what to ask for).")
    version: str = strawberry.field(description="Version id of the rules (stored with results).")
    citation: str = strawberry.field(description="Reference.")
    doi: str | None = strawberry.field(description="DOI of the reference.")
    disease: str = strawberry.field(description="MM, AML, CML or ANY.")
    inputs: list[str] = strawberry.field(description="Inputs as table.column.")
    categories: list[str] = strawberry.field(description="Categories, in order.")
    status: str = strawberry.field(description="CONFIRMED or UNCONFIRMED rules.")
    usable_on_cohorts: bool = strawberry.field(
        description="Computed per patient over a cohort, so usable by risk, reclassification, "
        "survival and cumulativeIncidence groupBy.score, the riskGroups filter, coxModel scores "
        "and stagingComparison; false: each of these refuses it (BAD_REQUEST), see perPatient."
    )
    per_patient: str | None = strawberry.field(
        description="Where the inputs are per measurement (samples, assessments): which one "
        "each patient contributes on a cohort, or why none can be chosen (usableOnCohorts "
        "false); null when the inputs are one per patient."
    )

    @classmethod
    def of(cls, score: RegisteredScore) -> RiskScore:
        """The GraphQL view of a registered score and of its use on cohorts."""
        use = cohort_use(score)
        return cls(
            name=score.name,
            version=score.version,
            citation=score.citation,
            doi=score.doi,
            disease=score.disease,
            inputs=list(score.inputs),
            categories=list(score.categories),
            status=score.status,
            usable_on_cohorts=use.usable,
            per_patient=use.per_patient,
        )


@strawberry.type(description="A survival endpoint offered by the API.")
class Endpoint:
    name: str = strawberry.field(description="Enum name to ask for.")
    label: str = strawberry.field(description="Endpoint as reported.")
    competing: bool = strawberry.field(
        description="Has a competing event (ask cumulativeIncidence), else Kaplan-Meier."
    )
    follow_up: str = strawberry.field(description="Censoring at last_contact or last_sample.")
    event: str = strawberry.field(description="The event of interest, in words.")
    competing_event: str | None = strawberry.field(
        description="The competing event, in words (null: Kaplan-Meier endpoint)."
    )
    origins: list[TimeOrigin] = strawberry.field(
        description="The time origins the endpoint is defined from (any other is refused)."
    )

    @classmethod
    def of(cls, name: str, definition: EndpointDefinition) -> Endpoint:
        """The GraphQL view of a catalogue endpoint."""
        return cls(
            name=name,
            label=definition.name,
            competing=definition.competing is not None,
            follow_up=definition.follow_up,
            event=definition.event,
            competing_event=definition.competing_event,
            origins=[TimeOrigin(o) for o in definition.origins],
        )


@strawberry.type(
    description="Quarantined rows of one site, table and check. On protected access, sites "
    "other than the caller's own come as one row per site with table and check null, whose n "
    "is a noisy count of the site's patients with any quarantined row."
)
class QualityCount:
    site: str = strawberry.field(description="Site code.")
    table: str | None = strawberry.field(description="Harmonised table (null: every table).")
    check: str | None = strawberry.field(
        description="Validation check that failed (null: every check)."
    )
    n: int | None = strawberry.field(
        description="Rows quarantined (protected, other sites: patients with any quarantined "
        "row, noised); null below the publication floor."
    )


@strawberry.type(description="Privacy budget (ε) spent and left in the current period.")
class Budget:
    spent: float = strawberry.field(description="ε spent this period.")
    budget: float = strawberry.field(description="ε allowed per period.")
    remaining: float = strawberry.field(description="ε left this period.")
    period_ends: dt.datetime = strawberry.field(description="End of the period (UTC).")

    @classmethod
    def of(cls, balance: Balance) -> Budget:
        """The GraphQL view of a ledger balance."""
        return cls(
            spent=balance.spent,
            budget=balance.budget,
            remaining=balance.remaining,
            period_ends=balance.period_ends,
        )


@strawberry.type(description="One user's privacy budget.")
class UserBudget:
    user: str = strawberry.field(description="User name.")
    budget: Budget = strawberry.field(description="Spend this period.")


@strawberry.type(description="Privacy budgets of protected releases.")
class PrivacyBudgets:
    deployment: Budget = strawberry.field(
        description="Every release drawn this period, over all users."
    )
    users: list[UserBudget] = strawberry.field(
        description="Every user's spend (administrators); your own (everyone else)."
    )


@strawberry.type(description="An open data query a site must answer.")
class DataQuery:
    site: str = strawberry.field(description="Site code.")
    query: str = strawberry.field(description="Query rule.")
    patient_id: str | None = strawberry.field(description="Pseudonymised patient id.")
    table: str | None = strawberry.field(description="Table concerned.")
    message: str = strawberry.field(description="What to check or fix.")


@strawberry.type(description="The lake itself: sites, versions, scores, endpoints, quality.")
class Lake:
    @resolver(description="Sites with onboarding status and load history.")
    async def sites(self, info: Info[Context, None]) -> list[Site] | None:
        released = await call_lake(info.context.gateway.sites, info.context.caller)
        return [
            Site(
                site=s.site,
                stage=s.stage,
                reached_at=s.reached_at,
                loads=[Load(**_fields(load)) for load in s.loads],
            )
            for s in released.value
        ]

    @resolver(
        description="Privacy budgets of protected releases this period: the deployment's and "
        "every user's (administrators) or your own."
    )
    async def privacy(self, info: Info[Context, None]) -> PrivacyBudgets | None:
        view = await call_lake(info.context.gateway.privacy_budgets, info.context.caller)
        return PrivacyBudgets(
            deployment=Budget.of(view.deployment),
            users=[UserBudget(user=u, budget=Budget.of(b)) for u, b in view.users],
        )

    @resolver(description="Every lake version (Delta history through the manifest), newest first.")
    async def versions(self, info: Info[Context, None]) -> list[LakeVersion] | None:
        released = await call_lake(info.context.gateway.versions, info.context.caller)
        return [
            LakeVersion(
                lake_version=v.lake_version,
                committed_at=v.committed_at,
                site=v.site,
                load_id=v.load_id,
                tables=[TableVersion(table=t, delta_version=d) for t, d in v.table_versions],
            )
            for v in released.value
        ]

    @resolver(
        description="The registered risk scores (name, version, citation, inputs) and where "
        "each can be used."
    )
    def scores(self) -> list[RiskScore]:
        return [RiskScore.of(s) for s in REGISTRY.scores]

    @resolver(description="The survival endpoints and how each is defined.")
    def endpoints(self) -> list[Endpoint]:
        return [Endpoint.of(name, describe(name)) for name in CATALOGUE]

    @resolver(description="Data-quality results: quarantined rows by site, table and check.")
    async def data_quality(
        self,
        info: Info[Context, None],
        site: Annotated[
            str | None, strawberry.argument(description="Only this site (omit for every site).")
        ] = None,
        lake_version: Annotated[int | None, strawberry.argument(description=LAKE_VERSION)] = None,
    ) -> list[QualityCount] | None:
        released = await call_lake(
            info.context.gateway.data_quality,
            info.context.caller,
            lake_version=lake_version,
            site=site,
        )
        return [QualityCount(**_fields(q)) for q in released.value]

    @resolver(
        description="Open data queries of a site (data managers of the site, administrators).",
        permission_classes=[CanReadSiteOperations],
    )
    async def data_queries(
        self,
        info: Info[Context, None],
        site: Annotated[str, strawberry.argument(description="The site (a data manager's own).")],
        lake_version: Annotated[int | None, strawberry.argument(description=LAKE_VERSION)] = None,
    ) -> list[DataQuery] | None:
        released = await call_lake(
            info.context.gateway.data_queries,
            info.context.caller,
            lake_version=lake_version,
            site=site,
        )
        return [DataQuery(**_fields(q)) for q in released.value]


def _fields(record: object) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}  # type: ignore[attr-defined]
