"""Read every file of a site and map it to pseudonymised parts (no lake access).

Pseudonymisation happens once per *source row*, before mapping: a wide patient file feeds four
or five harmonised tables, and hashing or joining the site id per table would repeat the same
work for every one of them. Each distinct id of the whole load is hashed once
(:func:`loaders.pseudonym.pseudonym_lookup`) so ``_pkey`` is consistent across files. OMOP
parts are built from several tables keyed by ``person_id``, so they keep the raw id until after
mapping and are pseudonymised through the same lookup.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from loaders.convert import clean
from loaders.mapping import PKEY, RAW_ID, MappedPart, RowIds, fill_default_ldh_uln, map_file
from loaders.omop import map_omop
from loaders.pseudonym import pseudonym_lookup, pseudonyms_for
from loaders.readers import read_file, read_omop
from loaders.spec_types import FileSpec, SiteSpec


def read_and_map(
    spec: SiteSpec, key: bytes, *, on_lookup: Callable[[pl.DataFrame], None] | None = None
) -> list[MappedPart]:
    """Every part of ``spec``'s files, with ``patient_id`` and ``_pkey`` and no raw site id.

    ``on_lookup`` receives the load's id -> pseudonym lookup
    (:func:`loaders.pseudonym.pseudonym_lookup`), for the site's re-identification list."""
    ids = RowIds()
    raws: dict[int, tuple[pl.DataFrame, pl.Series]] = {}
    omop_parts: dict[int, list[MappedPart]] = {}
    for position, file_spec in enumerate(spec.files):
        if file_spec.format == "omop":
            omop_parts[position] = map_omop(file_spec, read_omop(file_spec), ids=ids)
        else:
            raw = read_file(file_spec)
            raws[position] = (raw, _site_ids(file_spec, raw))
    every_id = [site_ids for _, site_ids in raws.values()] + [
        part.frame.get_column(RAW_ID) for parts in omop_parts.values() for part in parts
    ]
    lookup = pseudonym_lookup(
        pl.concat(every_id) if every_id else pl.Series([], dtype=pl.String),
        key=key,
        site=spec.site,
    )
    if on_lookup is not None:
        on_lookup(lookup)
    parts: list[MappedPart] = []
    for position, file_spec in enumerate(spec.files):
        if position in omop_parts:
            parts.extend(_pseudonymised(part, lookup) for part in omop_parts[position])
        else:
            raw, site_ids = raws[position]
            raw = raw.with_columns(_pseudonym_columns(site_ids, lookup))
            parts.extend(map_file(file_spec, raw, ids=ids))
    return [fill_default_ldh_uln(part, spec.ldh_uln_u_l) for part in parts]


def _site_ids(file_spec: FileSpec, raw: pl.DataFrame) -> pl.Series:
    return raw.select(clean(pl.col(file_spec.id_column or ""), file_spec.missing)).to_series()


def _pseudonym_columns(site_ids: pl.Series, lookup: pl.DataFrame) -> list[pl.Series]:
    found = pseudonyms_for(site_ids, lookup)
    return [found.get_column("patient_id"), found.get_column("patient_index").alias(PKEY)]


def _pseudonymised(part: MappedPart, lookup: pl.DataFrame) -> MappedPart:
    columns = _pseudonym_columns(part.frame.get_column(RAW_ID), lookup)
    frame = part.frame.drop(RAW_ID).with_columns(columns)
    return MappedPart(part.file, part.table, frame, part.columns, part.id_column)
