"""Strict parsing of a site mapping spec (``loaders/SPEC.md``) into frozen dataclasses.

Everything a loader needs to know about a site is validated here, before any data is read: an
unknown or misspelt key, an unknown table, column or event type, a code mapped outside the
model's code list, a unit that does not convert to the canonical unit, or a file that feeds a
table without its required columns is a :class:`~lake.errors.ConfigError` naming the spec file
and the line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import polars as pl
import yaml
from lake.model import EVENTS, Column, Table

from loaders import yaml_nodes as yn
from loaders.spec_layout import check_layout
from loaders.spec_omop import parse_omop_maps
from loaders.spec_targets import (
    EVENT_ATTRIBUTES,
    check_codes,
    check_constant,
    check_unit,
    event_type,
    resolve_target,
)
from loaders.spec_types import (
    DEFAULT_MISSING,
    ENCODINGS,
    FILE_FORMATS,
    ColumnMapping,
    FileSpec,
    SiteSpec,
)

__all__ = ["ColumnMapping", "FileSpec", "SiteSpec", "parse_spec"]

FORMAT_VERSION: Final = 1
_SITE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")

_TOP_KEYS = ("format_version", "spec_version", "site", "name", "ldh_uln_u_l", "files")
_FILE_KEYS = (
    "path",
    "format",
    "separator",
    "decimal_comma",
    "encoding",
    "sheet",
    "date_format",
    "missing",
    "id_column",
    "constants",
    "columns",
    "omop",
)
_COLUMN_KEYS = ("to", "event", "attribute", "unit", "codes", "split", "date_format")


def parse_spec(path: Path | str) -> SiteSpec:
    """Parse and validate the mapping spec at ``path``.

    Raises
    ------
    ConfigError
        Anything wrong with the spec, as ``<file>:<line>: <what>; <what to do>``.
    """
    path = Path(path).resolve()
    root = yn.compose_file(path)
    top = yn.mapping(
        path,
        root,
        where="the spec",
        allowed=_TOP_KEYS,
        required=("format_version", "spec_version", "site", "name", "files"),
    )
    version = yn.integer(path, top["format_version"], where="format_version")
    if version != FORMAT_VERSION:
        raise yn.fail(
            path,
            top["format_version"],
            f"format_version {version} is not supported; this loader reads "
            f"format_version {FORMAT_VERSION}",
        )
    site = yn.scalar(path, top["site"], where="site")
    if not _SITE_CODE.match(site):
        raise yn.fail(
            path, top["site"], f"site {site!r} must be 1-32 letters, digits, '_', '-' or '.'"
        )
    files_node = top["files"]
    if not isinstance(files_node, yaml.SequenceNode) or not files_node.value:
        raise yn.fail(path, files_node, "files must be a non-empty list of file entries")
    files = tuple(_parse_file(path, node) for node in files_node.value)
    if not any("patients" in f.tables for f in files):
        raise yn.fail(
            path,
            files_node,
            "no file feeds the patients table; map the patient file's columns to patients.<column>",
        )
    ldh = top.get("ldh_uln_u_l")
    return SiteSpec(
        path=path,
        format_version=version,
        spec_version=yn.scalar(path, top["spec_version"], where="spec_version"),
        site=site,
        name=yn.scalar(path, top["name"], where="name"),
        ldh_uln_u_l=None if ldh is None else yn.number(path, ldh, where="ldh_uln_u_l"),
        files=files,
    )


def _parse_file(path: Path, node: yaml.Node) -> FileSpec:
    entries = yn.mapping(
        path, node, where="a file entry", allowed=_FILE_KEYS, required=("path", "format")
    )
    name = yn.scalar(path, entries["path"], where="path")
    fmt = yn.scalar(path, entries["format"], where="format")
    if fmt not in FILE_FORMATS:
        raise yn.fail(
            path, entries["format"], f"format {fmt!r} is not one of {', '.join(FILE_FORMATS)}"
        )
    _check_format_options(path, entries, fmt)
    encoding = (
        yn.scalar(path, entries["encoding"], where="encoding") if "encoding" in entries else "utf-8"
    )
    if encoding not in ENCODINGS:
        raise yn.fail(
            path, entries["encoding"], f"encoding {encoding!r} is not one of {', '.join(ENCODINGS)}"
        )
    date_format = (
        yn.scalar(path, entries["date_format"], where="date_format")
        if "date_format" in entries
        else "%Y-%m-%d"
    )
    constants = _parse_constants(path, entries.get("constants"), date_format)
    target = (path.parent / name).resolve()
    if not target.is_relative_to(path.parent):
        raise yn.fail(
            path,
            entries["path"],
            f"path {name!r} leads outside the site folder {path.parent} (through '..', an "
            "absolute path or a symbolic link); put the export inside the site folder and "
            "name it relative to the spec",
        )
    spec = FileSpec(
        name=name,
        path=target,
        line=yn.line_of(node),
        format=fmt,
        separator=(
            yn.scalar(path, entries["separator"], where="separator")
            if "separator" in entries
            else ","
        ),
        decimal_comma=(
            "decimal_comma" in entries
            and yn.boolean(path, entries["decimal_comma"], where="decimal_comma")
        ),
        encoding=encoding,
        sheet=yn.scalar(path, entries["sheet"], where="sheet") if "sheet" in entries else None,
        date_format=date_format,
        missing=(
            yn.string_list(path, entries["missing"], where="missing")
            if "missing" in entries
            else DEFAULT_MISSING
        ),
        id_column=(
            yn.scalar(path, entries["id_column"], where="id_column")
            if "id_column" in entries
            else None
        ),
        constants=constants,
        columns=(_parse_columns(path, entries["columns"]) if "columns" in entries else ()),
        omop=parse_omop_maps(path, entries["omop"]) if fmt == "omop" else None,
    )
    check_layout(path, node, spec)
    return spec


def _check_format_options(path: Path, entries: dict[str, yaml.Node], fmt: str) -> None:
    """Reject options that do not apply to the format (a silent no-op hides mistakes)."""
    only: dict[str, tuple[str, ...]] = {
        "separator": ("csv",),
        "decimal_comma": ("csv",),
        "encoding": ("csv",),
        "sheet": ("xlsx",),
        "omop": ("omop",),
        "columns": ("csv", "xlsx", "parquet"),
        "id_column": ("csv", "xlsx", "parquet"),
    }
    for key, formats in only.items():
        if key in entries and fmt not in formats:
            raise yn.fail(
                path,
                entries[key],
                f"{key!r} does not apply to format {fmt}; it is for {', '.join(formats)} files",
            )
    needed = ("omop",) if fmt == "omop" else ("id_column", "columns")
    for key in needed:
        if key not in entries:
            raise yn.fail(path, entries["path"], f"a {fmt} file entry needs {key!r}")


def _parse_constants(path: Path, node: yaml.Node | None, date_format: str) -> dict[str, str]:
    if node is None:
        return {}
    constants: dict[str, str] = {}
    for key, (value, value_node) in yn.string_map(path, node, where="constants").items():
        table, column = resolve_target(path, value_node, key)
        check_constant(path, value_node, column, value, date_format)
        constants[f"{table.name}.{column.name}"] = value
    return constants


def _parse_columns(path: Path, node: yaml.Node) -> tuple[ColumnMapping, ...]:
    mappings = []
    for source, value in yn.mapping(path, node, where="columns").items():
        mappings.append(_parse_column(path, source, value))
    return tuple(mappings)


def _parse_column(path: Path, source: str, node: yaml.Node) -> ColumnMapping:
    where = f"the mapping of source column {source!r}"
    entries = yn.mapping(path, node, where=where, allowed=_COLUMN_KEYS)
    if ("to" in entries) == ("event" in entries):
        raise yn.fail(path, node, f"{where} needs exactly one of 'to:' or 'event:'")
    event: str | None = None
    if "to" in entries:
        table, column = resolve_target(
            path, entries["to"], yn.scalar(path, entries["to"], where="to")
        )
        if "attribute" in entries:
            raise yn.fail(path, entries["attribute"], "'attribute:' goes with 'event:', not 'to:'")
    else:
        event = event_type(path, entries["event"])
        table, column = _event_target(path, entries)
    codes = None
    if "codes" in entries:
        codes = {k: v for k, (v, _) in yn.string_map(path, entries["codes"], where="codes").items()}
        check_codes(path, entries["codes"], column)
    unit = yn.scalar(path, entries["unit"], where="unit") if "unit" in entries else None
    if unit is not None:
        check_unit(path, entries["unit"], column, unit)
    split = yn.string_list(path, entries["split"], where="split")[0] if "split" in entries else None
    if split is not None and not isinstance(column.dtype, pl.List):
        raise yn.fail(
            path,
            entries["split"],
            f"'split:' applies to list columns only, not {table.name}.{column.name}",
        )
    date_format = None
    if "date_format" in entries:
        if column.dtype != pl.Date():
            raise yn.fail(
                path,
                entries["date_format"],
                f"'date_format:' applies to date columns only, not {table.name}.{column.name}",
            )
        date_format = yn.scalar(path, entries["date_format"], where="date_format")
    return ColumnMapping(
        source=source,
        line=yn.line_of(node),
        table=table.name,
        column=column.name,
        event=event,
        unit=unit,
        codes=codes,
        split=split,
        date_format=date_format,
    )


def _event_target(path: Path, entries: dict[str, yaml.Node]) -> tuple[Table, Column]:
    """Wide layout: the event's date, or the attribute named by ``attribute:``."""
    if "attribute" not in entries:
        return EVENTS, EVENTS.column("event_date")
    attribute = yn.scalar(path, entries["attribute"], where="attribute")
    if attribute not in EVENT_ATTRIBUTES:
        raise yn.fail(
            path,
            entries["attribute"],
            f"unknown event attribute {attribute!r}; valid attributes: "
            f"{', '.join(EVENT_ATTRIBUTES)}",
        )
    return EVENTS, EVENTS.column(attribute)


def declared_site(path: Path | str) -> tuple[str, str | None] | None:
    """``(site, spec_version)`` read leniently from a spec that failed strict parsing.

    So a broken spec can still be logged under its site in ``_load_log``. ``None`` when the
    file cannot be read as YAML or has no valid top-level ``site``.
    """
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(document, dict):
        return None
    site, version = document.get("site"), document.get("spec_version")
    if not isinstance(site, str) or not _SITE_CODE.match(site):
        return None
    return site, None if version is None else str(version)
