"""Expressions shared by the OMOP mappers (:mod:`loaders.omop` and its table modules)."""

from __future__ import annotations

from typing import Final

import polars as pl

from loaders.convert import clean
from loaders.mapping import RAW_ID, raw_name
from loaders.spec_types import FileSpec

#: The site's patient id column of every OMOP CDM table.
OMOP_ID: Final = "person_id"


def person_id(spec: FileSpec) -> pl.Expr:
    """The site's patient id: the cleaned ``person_id``."""
    return clean(pl.col(OMOP_ID), spec.missing).alias(RAW_ID)


def typed(name: str, value: pl.Expr, raw: pl.Expr) -> list[pl.Expr]:
    """A harmonised column and its raw-text companion (what the checks quote)."""
    return [value.alias(name), raw.alias(raw_name(name))]
