"""What a figure request may ask: format, size and what to draw, bounded so a figure stays cheap.

The bounds are the rendering cost limits: at most :data:`MAX_PIXELS` pixels for a PNG and a
figure no larger than :data:`MAX_INCHES` on a side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from lake.errors import AnalysisError

Format = Literal["svg", "png"]
#: Largest side of a figure, inches.
MAX_INCHES: Final = 16.0
#: Largest PNG, pixels (width × height × dpi²): 4 megapixels.
MAX_PIXELS: Final = 4_000_000
#: Most curves (groups × causes) or rows (coefficients, systems) one figure draws.
MAX_SERIES: Final = 24


@dataclass(frozen=True, slots=True)
class FigureOptions:
    """How to draw a figure.

    ``medians`` draws the median lines of each curve (dashed, to the time axis), ``bands`` the
    confidence bands, ``censor_marks`` a tick at each censoring time, ``risk_table`` the number
    at risk under the time axis (at the tick times); ``max_time`` ends the time axis (default:
    the last released step); ``footnote`` is printed under the figure (e.g. provenance:
    :func:`lake.plots.provenance_note`). ``causes`` are the competing-risk causes an incidence
    figure draws (``event``: the endpoint's event; ``competing``: its competing event).
    """

    format: Format = "svg"
    width: float = 7.0
    height: float = 5.5
    dpi: int = 150
    title: str | None = None
    medians: bool = False
    bands: bool = True
    censor_marks: bool = True
    risk_table: bool = True
    max_time: float | None = None
    footnote: str | None = None
    causes: tuple[str, ...] = ("event",)

    def __post_init__(self) -> None:
        if self.format not in ("svg", "png"):
            raise AnalysisError(f"figure format {self.format!r}: ask for svg or png")
        if not (2.0 <= self.width <= MAX_INCHES and 2.0 <= self.height <= MAX_INCHES):
            raise AnalysisError(
                f"figure size {self.width} x {self.height} in: each side must be 2 to "
                f"{MAX_INCHES:g} inches"
            )
        if not 50 <= self.dpi <= 300:
            raise AnalysisError(f"figure dpi {self.dpi}: ask for 50 to 300")
        if self.width * self.height * self.dpi**2 > MAX_PIXELS:
            raise AnalysisError(
                f"figure of {self.width} x {self.height} in at {self.dpi} dpi exceeds "
                f"{MAX_PIXELS:,} pixels; lower the dpi or the size"
            )
        if self.max_time is not None and not self.max_time > 0:
            raise AnalysisError(f"figure maxTime {self.max_time}: ask for a positive time")
        unknown = set(self.causes) - {"event", "competing"}
        if not self.causes or unknown:
            raise AnalysisError(
                f"figure causes {sorted(unknown) or '(none)'}: ask for event and/or competing"
            )


#: The options of a figure asked for without any.
DEFAULT_OPTIONS: Final = FigureOptions()
