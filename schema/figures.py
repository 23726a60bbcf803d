"""Figures of a result: the ``plotUrl`` field of the results that draw, and the released values
the ``/plot`` route draws.

A ``plotUrl`` is the route (``/plot.svg`` or ``/plot.png``, relative to the service) with this
request's own GraphQL document, variables and operation name, the response path of the result
and the figure options (:mod:`lake.plots.params`). The route runs that document again, as the
caller who opens the URL (authenticated, limited, costed and audited as at ``/graphql``), and
draws the released value the result's resolver kept (:func:`keep_figure`): the same boundary,
so the caller's role and disclosure control decide what is drawn, never more than the JSON
answer gives them.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, Final
from urllib.parse import urlencode

import strawberry
from graphql import DocumentNode, print_ast
from graphql.pyutils import Path
from lake.errors import AnalysisError
from lake.plots import FigureOptions
from lake.plots.params import to_params
from lake.query.release import Released
from strawberry.types import Info

from schema.context import Context
from schema.errors import BadRequestError

#: The route that draws figures (``/plot.svg``, ``/plot.png``).
PLOT_ROUTE: Final = "/plot"


@strawberry.enum(
    description="Image format of a figure: SVG (vector, text kept as text) or PNG (raster, at "
    "the asked dpi)."
)
class FigureFormat(Enum):
    SVG = "svg"
    PNG = "png"


@strawberry.input(
    description="How to draw a figure. Sizes in inches (2 to 16 a side, at most 4 megapixels "
    "for a PNG); curve options apply to survival and incidence figures."
)
class FigureOptionsInput:
    format: FigureFormat = strawberry.field(default=FigureFormat.SVG, description="SVG or PNG.")
    width: float = strawberry.field(default=7.0, description="Width, inches.")
    height: float = strawberry.field(default=5.5, description="Height, inches.")
    dpi: int = strawberry.field(default=150, description="Dots per inch of a PNG (50 to 300).")
    title: str | None = strawberry.field(
        default=None, description="Title (default: endpoint from origin)."
    )
    medians: bool = strawberry.field(
        default=False, description="Dashed median lines of each Kaplan-Meier curve."
    )
    bands: bool = strawberry.field(default=True, description="Shaded 95 % confidence bands.")
    censor_marks: bool = strawberry.field(default=True, description="A tick at each censoring.")
    risk_table: bool = strawberry.field(
        default=True, description="Number at risk under the time axis, at the tick times."
    )
    max_time: float | None = strawberry.field(
        default=None,
        description="End of the time axis, in the result's unit (default: last released step).",
    )

    def to_options(self, causes: tuple[str, ...] = ("event",)) -> FigureOptions:
        """The lake's figure options; out-of-bounds values are a BAD_REQUEST naming them."""
        try:
            return FigureOptions(
                format="svg" if self.format is FigureFormat.SVG else "png",
                width=self.width,
                height=self.height,
                dpi=self.dpi,
                title=self.title,
                medians=self.medians,
                bands=self.bands,
                censor_marks=self.censor_marks,
                risk_table=self.risk_table,
                max_time=self.max_time,
                causes=causes,
            )
        except AnalysisError as error:
            raise BadRequestError(f"plotUrl options: {error}") from error


def response_path(path: Path) -> str:
    """A field's place in the response, dot-separated (aliases as written)."""
    return ".".join(str(key) for key in path.as_list())


def keep_figure(info: Info[Context, None], released: Released[Any]) -> None:
    """Keep a drawable released value under its response path, for the ``/plot`` route."""
    info.context.figures[response_path(info.path)] = released


def plot_url(
    info: Info[Context, None], options: FigureOptionsInput | None, causes: tuple[str, ...] = ()
) -> str:
    """The URL of the figure of the result this field belongs to (see the module docstring)."""
    chosen = (options or FigureOptionsInput()).to_options(causes or ("event",))
    document = info.query or print_ast(
        DocumentNode(definitions=(info.operation, *info._raw_info.fragments.values()))
    )
    parent = info.path.prev
    params = {
        "query": document,
        **({"variables": json.dumps(info.context.variables)} if info.context.variables else {}),
        **({"operationName": info.context.operation_name} if info.context.operation_name else {}),
        "path": "" if parent is None else response_path(parent),
        **to_params(chosen),
    }
    return f"{PLOT_ROUTE}.{chosen.format}?{urlencode(params)}"


PLOT_URL = (
    "Where this result's figure is drawn: /plot.svg or /plot.png with this request's document "
    "and the options, relative to the service; open it with the same credentials (the figure is "
    "computed again through the same boundary: roles, disclosure, audit)."
)
