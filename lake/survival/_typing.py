"""Shared array aliases and option sets of the survival engine (one place, like polars/_typing)."""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

#: ``survfit(conf.type=)``: the scale on which the pointwise interval is symmetric.
ConfType: TypeAlias = Literal["log", "log-log", "plain"]
#: ``coxph(ties=)``: how tied event times enter the partial likelihood.
Ties: TypeAlias = Literal["efron", "breslow"]
#: ``cox.zph(transform=)``: the time scale the scaled Schoenfeld residuals are regressed on.
ZphTransform: TypeAlias = Literal["km", "identity", "rank", "log"]
