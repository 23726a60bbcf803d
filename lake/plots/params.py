"""Figure options as URL query parameters and back: what a ``plotUrl`` writes and ``/plot.*``
reads, one codec so both sides name the options alike.

Names are the GraphQL input's (camelCase): ``width``, ``height``, ``dpi``, ``title``,
``medians``, ``bands``, ``censorMarks``, ``riskTable``, ``maxTime``, ``causes`` (comma
separated); the format is the URL's extension, not a parameter. Only options that differ from
the defaults are written, so a URL stays short and the same options give the same URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from lake.errors import AnalysisError
from lake.plots.options import DEFAULT_OPTIONS, FigureOptions, Format

#: Parameter name of each option (the format travels in the URL's extension).
NAMES: Final = {
    "width": "width",
    "height": "height",
    "dpi": "dpi",
    "title": "title",
    "medians": "medians",
    "bands": "bands",
    "censor_marks": "censorMarks",
    "risk_table": "riskTable",
    "max_time": "maxTime",
    "causes": "causes",
}
FLAGS: Final = frozenset({"medians", "bands", "censor_marks", "risk_table"})


def to_params(options: FigureOptions) -> dict[str, str]:
    """The options that differ from the defaults, as query parameters."""
    params = {}
    for name, param in NAMES.items():
        value = getattr(options, name)
        if value == getattr(DEFAULT_OPTIONS, name):
            continue
        if name in FLAGS:
            params[param] = "true" if value else "false"
        elif name == "causes":
            params[param] = ",".join(value)
        else:
            params[param] = repr(value) if isinstance(value, float) else str(value)
    return params


def from_params(params: Mapping[str, str], *, format: Format) -> FigureOptions:
    """Figure options from query parameters (only the option names of :data:`NAMES` are read).

    Raises
    ------
    AnalysisError
        A value does not parse or is out of bounds (names the parameter).
    """
    changes: dict[str, object] = {"format": format}
    for name, param in NAMES.items():
        text = params.get(param)
        if text is None:
            continue
        try:
            if name in FLAGS:
                if text not in ("true", "false"):
                    raise ValueError(text)
                changes[name] = text == "true"
            elif name == "causes":
                changes[name] = tuple(c for c in text.split(",") if c)
            elif name == "dpi":
                changes[name] = int(text)
            elif name == "title":
                changes[name] = text
            else:
                changes[name] = float(text)
        except ValueError as error:
            raise AnalysisError(f"figure parameter {param}={text!r} does not parse") from error
    return replace(DEFAULT_OPTIONS, **changes)  # type: ignore[arg-type]  # checked per name above
