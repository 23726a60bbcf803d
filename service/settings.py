"""Service settings: read once at startup from a TOML file, cast, validated; unknown keys fail.

Example ``hemalake.toml``::

    lake_root = "demo-lake"
    min_cell_size = 5            # disclosure control (lake/disclosure.py)
    allow_anonymous = false      # true only for the local demo: anonymous callers are analysts
    audit_log = "audit.jsonl"    # JSON lines, one per query
    max_depth = 10
    max_aliases = 20
    max_tokens = 2000
    max_cost = 60
    cache_size = 256
    max_body_bytes = 65536

    # API keys are stored as SHA-256 hex digests, never in clear:
    #   python -c "import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())" KEY
    [api_keys.3c9d...e1]
    user = "alice"
    role = "analyst"             # analyst | statistician | data_manager | admin
    site = "AMS"                 # home site (data managers)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, cast

from lake.access import ROLES, Caller, Role
from lake.disclosure import DEFAULT_MIN_CELL_SIZE
from lake.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting of the service, validated."""

    lake_root: Path
    min_cell_size: int = DEFAULT_MIN_CELL_SIZE
    allow_anonymous: bool = False
    audit_log: Path | None = None
    max_depth: int = 10
    max_aliases: int = 20
    max_tokens: int = 2000
    max_cost: int = 60
    cache_size: int = 256
    max_body_bytes: int = 65536
    api_keys: Mapping[str, Caller] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("min_cell_size", "max_depth", "max_aliases", "max_tokens", "max_cost"):
            if getattr(self, name) < 1:
                raise ConfigError(f"setting {name} must be at least 1 (got {getattr(self, name)})")


_CASTS: dict[str, type] = {
    "min_cell_size": int,
    "max_depth": int,
    "max_aliases": int,
    "max_tokens": int,
    "max_cost": int,
    "cache_size": int,
    "max_body_bytes": int,
    "allow_anonymous": bool,
}


def _caller(digest: str, entry: object, source: str) -> Caller:
    where = f"{source}: api_keys.{digest[:12]}..."
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ConfigError(f"{where}: API keys are stored as lowercase SHA-256 hex digests")
    if not isinstance(entry, dict) or set(entry) - {"user", "role", "site"}:
        raise ConfigError(f"{where}: give user, role and optionally site, nothing else")
    role = entry.get("role")
    if role not in ROLES:
        raise ConfigError(f"{where}: role must be one of {', '.join(ROLES)}")
    return Caller(user=str(entry["user"]), role=cast("Role", role), site=entry.get("site"))


def settings_from_mapping(data: Mapping[str, Any], *, source: str = "settings") -> Settings:
    """Validate a settings mapping; unknown keys and wrong types fail naming the key."""
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting(s) {unknown}; valid: {', '.join(sorted(known))}"
        )
    if "lake_root" not in data:
        raise ConfigError(f"{source}: lake_root is required")
    values: dict[str, Any] = {"lake_root": Path(data["lake_root"])}
    for name, kind in _CASTS.items():
        if name in data:
            if not isinstance(data[name], kind) or isinstance(data[name], bool) != (kind is bool):
                raise ConfigError(f"{source}: {name} must be {kind.__name__}, got {data[name]!r}")
            values[name] = data[name]
    if "audit_log" in data:
        values["audit_log"] = Path(data["audit_log"])
    keys = data.get("api_keys", {})
    values["api_keys"] = {d: _caller(d, e, source) for d, e in keys.items()}
    return Settings(**values)


def load_settings(path: Path) -> Settings:
    """Read and validate the TOML settings file at ``path``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read settings {path}: {error}") from error
    return settings_from_mapping(data, source=str(path))
