"""Columns the loader derives from others of the same row, by a rule the model states.

- ``transplants.in_first_remission`` from ``transplants.disease_status``: a transplant is in first
  remission exactly when its status is CR1 (:data:`lake.model.DISEASE_STATUSES`). A row giving
  only the status gets the flag; a row giving both has been checked to agree
  (``remission_status_mismatch``); the status is never derived from the flag (``false`` does
  not say which status).
"""

from __future__ import annotations

import polars as pl
from lake.model import FIRST_REMISSION_STATUS


def derive_columns(table_name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (accepted rows of ``table_name``) with its derivable nulls filled."""
    if table_name != "transplants" or "disease_status" not in frame.columns:
        return frame
    derived = pl.col("disease_status") == FIRST_REMISSION_STATUS
    if "in_first_remission" in frame.columns:
        derived = pl.col("in_first_remission").fill_null(derived)
    return frame.with_columns(derived.alias("in_first_remission"))
