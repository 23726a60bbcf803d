"""Where a lake lives: a local directory or an S3-compatible prefix, with its storage options.

The single storage seam of the lake: :mod:`lake.storage` and everything above it name a lake by
a :class:`LakeLocation` (or a path or URL it is made from: ``/path``, ``file:///path``,
``s3://bucket/prefix``) and never care which kind it is. Delta reads and writes go through
delta-rs and Polars with :attr:`LakeLocation.delta_options`; the few object operations Delta
does not do for us (list a table's files, delete unreferenced ones, the lake lock object) go
through ``obstore``, the Python binding of the same Rust ``object_store`` crate delta-rs uses.

Storage options come from the environment (the standard ``AWS_*`` variables) or from the
service's settings file (``[storage]``), never from the command line, so credentials do not
land in shell history or process listings; explicit options win over the environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, cast

import obstore
from obstore.exceptions import BaseError
from obstore.store import S3Store

from lake.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from obstore.store import S3Config

#: The ``[storage]`` settings keys, the environment variable each can also come from, and the
#: ``object_store`` key delta-rs, Polars and obstore all read it under.
STORAGE_KEYS: Final[dict[str, tuple[str, str]]] = {
    "endpoint": ("AWS_ENDPOINT_URL", "aws_endpoint_url"),
    "region": ("AWS_REGION", "aws_region"),
    "access_key_id": ("AWS_ACCESS_KEY_ID", "aws_access_key_id"),
    "secret_access_key": ("AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"),
    "session_token": ("AWS_SESSION_TOKEN", "aws_session_token"),
    "allow_http": ("AWS_ALLOW_HTTP", "aws_allow_http"),
}
_SCHEMES: Final = ("s3://", "s3a://")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One data file of a lake table: its URI as Delta names it, size, when last written."""

    uri: str
    size: int  # bytes
    modified: float  # seconds since the epoch


@dataclass(frozen=True, slots=True)
class LakeLocation:
    """A lake root: ``url`` is a local path or ``s3://bucket/prefix`` (no trailing slash).

    ``storage_options`` (``object_store`` keys, see :data:`STORAGE_KEYS`) are never printed.
    """

    url: str
    storage_options: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        return self.url

    @property
    def local(self) -> Path | None:
        """The directory of a local lake; ``None`` for object storage."""
        return None if self.url.startswith(_SCHEMES) else Path(self.url)

    @property
    def delta_options(self) -> dict[str, str] | None:
        """``storage_options`` for delta-rs and Polars (``None`` on local disk)."""
        return None if self.local is not None else dict(self.storage_options)

    def uri(self, name: str) -> str:
        """The URI of ``name`` (a table or the lock object) under the lake root."""
        return f"{self.url}/{name}"

    def store(self) -> S3Store:
        """An ``obstore`` client rooted at the lake prefix (object storage only)."""
        options = dict(self.storage_options)
        allow_http = options.pop("aws_allow_http", "false").lower() in {"1", "true", "yes"}
        return S3Store.from_url(
            self.url, config=cast("S3Config", options), client_options={"allow_http": allow_http}
        )


def storage_options(
    settings: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Storage options from the ``[storage]`` settings over the ``AWS_*`` environment.

    Raises
    ------
    ConfigError
        An unknown ``[storage]`` key, or a value that is not a string (``allow_http``: a bool).
    """
    environ = os.environ if environ is None else environ
    settings = settings or {}
    unknown = sorted(set(settings) - set(STORAGE_KEYS))
    if unknown:
        raise ConfigError(f"unknown storage setting(s) {unknown}; valid: {', '.join(STORAGE_KEYS)}")
    options: dict[str, str] = {}
    for name, (variable, key) in STORAGE_KEYS.items():
        value = settings.get(name)
        if value is None:
            value = environ.get(variable)
            if value is None and name == "region":
                value = environ.get("AWS_DEFAULT_REGION")
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str):
            raise ConfigError(f"storage.{name} must be a string, got {value!r}")
        options[key] = value
    return options


def locate(
    root: LakeLocation | Path | str, options: Mapping[str, str] | None = None
) -> LakeLocation:
    """The lake at ``root``: a :class:`LakeLocation` as given, a path, or a URL.

    An object-storage URL without ``options`` takes them from the environment
    (:func:`storage_options`).

    Raises
    ------
    ConfigError
        A URL scheme other than ``file://`` and ``s3://`` (the message lists both).
    """
    if isinstance(root, LakeLocation):
        return root
    text = str(root)
    if text.startswith(_SCHEMES):
        bucket_and_prefix = text.split("://", 1)[1].strip("/")
        if not bucket_and_prefix:
            raise ConfigError(f"lake URL {text!r} names no bucket (s3://bucket/prefix)")
        return LakeLocation(
            f"s3://{bucket_and_prefix}",
            dict(storage_options() if options is None else options),
        )
    if text.startswith("file://"):
        text = text.removeprefix("file://")
    elif "://" in text:
        raise ConfigError(
            f"lake {text!r}: unsupported storage; give a directory, file:///path or "
            "s3://bucket/prefix"
        )
    return LakeLocation(str(Path(text)))


def table_names(lake: LakeLocation) -> list[str]:
    """The names of the Delta tables under the lake root (those with a ``_delta_log``)."""
    local = lake.local
    if local is not None:
        if not local.is_dir():
            return []
        return sorted(p.name for p in local.iterdir() if (p / "_delta_log").is_dir())
    names = []
    with store_errors(lake):
        store = lake.store()
        for prefix in obstore.list_with_delimiter(store, None)["common_prefixes"]:
            name = prefix.rstrip("/")
            if obstore.list_with_delimiter(store, f"{name}/_delta_log")["objects"]:
                names.append(name)
    return sorted(names)


def log_commits(lake: LakeLocation, table: str) -> list[int]:
    """The Delta commit numbers in ``table``'s ``_delta_log`` (a listing, not a table read)."""
    local = lake.local
    if local is not None:
        try:
            names = os.listdir(local / table / "_delta_log")
        except FileNotFoundError:
            return []
    else:
        with store_errors(lake):
            listing = obstore.list_with_delimiter(lake.store(), f"{table}/_delta_log")
        names = [entry["path"].rsplit("/", 1)[-1] for entry in listing["objects"]]
    return [int(name[:-5]) for name in names if name.endswith(".json") and name[:-5].isdigit()]


def data_files(lake: LakeLocation, table: str) -> list[StoredFile]:
    """Every Parquet file of ``table`` outside its ``_delta_log``, named as Delta names them
    (``DeltaTable.file_uris``: a path on disk, ``s3://bucket/key`` on object storage)."""
    local = lake.local
    if local is not None:
        return [
            StoredFile(str(path), stat.st_size, stat.st_mtime)
            for path in (local / table).rglob("*.parquet")
            if "_delta_log" not in path.parts
            for stat in (path.stat(),)
        ]
    bucket = lake.url.split("://", 1)[1].split("/", 1)[0]
    prefix = lake.url.split("://", 1)[1].partition("/")[2]
    files = []
    with store_errors(lake):
        for batch in obstore.list(lake.store(), f"{table}/"):
            for entry in batch:
                path = entry["path"]
                if path.endswith(".parquet") and "/_delta_log/" not in f"/{path}":
                    key = f"{prefix}/{path}" if prefix else path
                    modified = entry["last_modified"].timestamp()
                    files.append(StoredFile(f"s3://{bucket}/{key}", entry["size"], modified))
    return files


def delete_files(lake: LakeLocation, uris: list[str]) -> None:
    """Delete the data files ``uris`` (as :func:`data_files` names them); missing ones are fine."""
    local = lake.local
    if local is not None:
        for uri in uris:
            Path(uri).unlink(missing_ok=True)
        return
    root = lake.url + "/"
    paths = [uri.removeprefix(root) for uri in uris if uri.startswith(root)]
    if paths:
        with store_errors(lake):
            obstore.delete(lake.store(), paths)


@contextmanager
def store_errors(lake: LakeLocation) -> Iterator[None]:
    """Raise an object store's errors as :class:`~lake.errors.StorageError` (an ``OSError``
    too, as a disk's would be) naming the lake and where its settings come from."""
    try:
        yield
    except BaseError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StorageError(
            f"object storage of the lake {lake}: {first}. Check the storage settings "
            f"({', '.join(variable for variable, _ in STORAGE_KEYS.values())}, or the "
            "[storage] table of the settings file)"
        ) from exc
