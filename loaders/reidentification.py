"""The site's re-identification list: pseudonym -> the site's own patient id, kept at the site.

A load writes it beside the site's mapping spec (``reidentification-<SITE>.csv``, mode 0600,
replaced atomically), never inside the lake, and nothing sends it to the data centre: with it,
the site turns the pseudonyms of a query form back into its own patient ids
(:func:`reidentify`). It holds nothing the site does not already know (its own ids), but
joined with the lake it re-identifies the site's patients, hence the file mode and the refusal
to write it under the lake root.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import polars as pl
from lake.errors import ConfigError, SourceError

from loaders.spec_types import SiteSpec

PSEUDONYM: Final = "pseudonym"
FILE_MODE: Final = 0o600


def reidentification_path(spec: SiteSpec) -> Path:
    """Where ``spec``'s loads write the list: beside the spec, named by the site."""
    return spec.path.parent / f"reidentification-{spec.site}.csv"


def site_id_column(spec: SiteSpec) -> str:
    """The site's own name for its patient id: the id column of its first non-OMOP file
    (``person_id`` for an OMOP extract)."""
    return next((f.id_column for f in spec.files if f.id_column), "person_id")


def write_list(spec: SiteSpec, lookup: pl.DataFrame, *, lake_root: Path | None) -> Path:
    """Write the list of ``lookup`` (``_raw`` site id, ``patient_id`` pseudonym, from
    :func:`loaders.pseudonym.pseudonym_lookup`); returns its path.

    Raises
    ------
    ConfigError
        The spec's folder is inside the lake (the list would sit beside the data it
        re-identifies).
    OSError
        The file cannot be written (the caller decides whether the load goes on).

    ``lake_root`` is ``None`` for a lake on object storage, which no local file can be inside.
    """
    path = reidentification_path(spec)
    if lake_root is not None and path.resolve().is_relative_to(lake_root.resolve()):
        raise ConfigError(
            f"{path}: the re-identification list would be written inside the lake "
            f"{lake_root}; keep the site's folder outside the lake root"
        )
    frame = lookup.select(
        pl.col("patient_id").alias(PSEUDONYM), pl.col("_raw").alias(site_id_column(spec))
    ).sort(PSEUDONYM)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)  # an older file of the same name kept its mode
        with os.fdopen(descriptor, "wb") as handle:
            frame.write_csv(handle)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def reidentify(form: pl.DataFrame, spec: SiteSpec) -> pl.DataFrame:
    """``form`` with the site's patient id (named as in the site's export) after
    ``pseudonym``; a pseudonym the list does not know stays without an id.

    Raises
    ------
    SourceError
        The list is missing (no load ran from this folder) or the form has no pseudonyms.
    """
    path = reidentification_path(spec)
    if PSEUDONYM not in form.columns:
        raise SourceError(f"the form has no {PSEUDONYM!r} column; use the form as exported")
    try:
        known = pl.read_csv(path, infer_schema=False)
    except OSError as exc:
        raise SourceError(
            f"{path}: no re-identification list ({exc.strerror}); it is written by a load run "
            "with this mapping spec: run `hemalake load` here first"
        ) from exc
    column = site_id_column(spec)
    if column in form.columns:
        raise ConfigError(f"the form already has the site's id column {column!r}")
    joined = form.join(known, on=PSEUDONYM, how="left", maintain_order="left")
    order = [*form.columns]
    order.insert(order.index(PSEUDONYM) + 1, column)
    return joined.select(order)


def remove_ids(form: pl.DataFrame, spec: SiteSpec) -> pl.DataFrame:
    """``form`` without the site's id column (before it is sent back to the data centre)."""
    return form.drop(site_id_column(spec), strict=False)
