"""Service settings: read once at startup from a TOML file, cast, validated; unknown keys fail.

Example ``hemalake.toml``::

    lake_root = "demo-lake"
    min_cell_size = 5            # disclosure control (lake/disclosure.py)
    allow_anonymous = false      # true only for the local demo: anonymous callers are analysts
    audit_log = "audit.jsonl"    # JSON lines, one per query; or s3://bucket/prefix (one
                                 # object per batch, with the [storage] options of the lake)
    max_depth = 10
    max_fields = 500             # field selections as executed (fragments at every spread)
    max_aliases = 20
    max_tokens = 2000
    max_cost = 60
    cache_size = 256              # results kept (each cache), and
    cache_bytes = 536870912       # bytes the result caches hold together at most (512 MiB)
    query_cache_bytes = 16777216  # validated documents and persisted queries (16 MiB each)
    response_cache_bytes = 67108864  # whole answers served again before GraphQL runs (0: off)
    analysis_store_bytes = 1073741824  # patient-aligned columns of the kept lake versions (1 GiB)
    max_body_bytes = 65536
    warm_interval_seconds = 5    # look for a new lake version this often and warm it (0: off)
    privacy_ledger = "privacy.sqlite"   # default: beside the lake, <lake_root>-privacy.sqlite
                                 # (required when lake_root is s3://bucket/prefix)
    production = false           # true: refuse unsafe settings (service/production.py)
    graphiql = true              # the GraphiQL page (default: on, off in production)
    introspection = true         # schema introspection (default: on, off in production)
    metrics_roles = ["admin"]    # roles that may read /metrics
    cors_origins = []            # browser origins allowed to call the API (CORS off when empty)
    engine = "local"             # or a Dask scheduler, "tcp://10.0.0.5:8786" (lake/distributed)

    [storage]                    # an s3:// lake_root (lake/location.py); each key falls back to
    endpoint = "https://s3.eu-central-1.amazonaws.com"   # its AWS_* variable (AWS_ENDPOINT_URL,
    region = "eu-central-1"      # AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    allow_http = false           # AWS_SESSION_TOKEN, AWS_ALLOW_HTTP)

    [privacy]                    # protected releases (lake/privacy): budgets in ε per period
    user_budget = 10.0
    deployment_budget = 200.0
    period_days = 30
    interval_days = 91.3125      # public life-table grid of protected survival
    horizon_days = 3652.5
    floor = 0                    # publication floor on protected counts (0: none)
    [privacy.epsilon]            # ε per release kind (lake/privacy/budget.py for the defaults)
    survival = 1.0

    [esmo_mcbs]                  # ESMO-MCBS v1.1 rules left UNCONFIRMED (lake/value/rules.py):
    # form3_max_grade = ...      # each off until filled from the published form, e.g.
    # form2b_grade2_short = { hr_lower_max = ..., gain_months = ... }

    [oidc]                       # single sign-on (service/oidc.py); API keys stay for scripts
    issuer = "https://login.hospital.example/realms/research"
    audience = "hemalake"
    role_claim = "hemalake_role" # a role name, or a value mapped by [oidc.roles]
    site_claim = "hemalake_site"
    [oidc.roles]
    "research-statisticians" = "statistician"

    # API keys are stored as SHA-256 hex digests, never in clear:
    #   python -c "import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())" KEY
    [api_keys.3c9d...e1]
    user = "alice"
    role = "analyst"             # analyst | client_app | data_manager (protected access);
                                 # statistician | admin (governed access)
    site = "AMS"                 # home site (data managers)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, cast

from lake.access import ROLES, Caller, Role
from lake.cohort.store_budget import DEFAULT_STORE_BYTES
from lake.disclosure import DEFAULT_MIN_CELL_SIZE
from lake.distributed.engine import LOCAL
from lake.errors import ConfigError
from lake.location import LakeLocation, locate, storage_options
from lake.privacy.budget import PrivacySettings
from lake.query.gateway import DEFAULT_CACHE_BYTES
from lake.value.rules import EsmoRules, rules_from_mapping
from service.audit import audit_target
from service.oidc import OidcSettings
from service.production import production_problems
from service.response_cache import DEFAULT_RESPONSE_CACHE_BYTES


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting of the service, validated."""

    lake_root: Path | str  # a directory, or a URL (file://, s3://bucket/prefix)
    min_cell_size: int = DEFAULT_MIN_CELL_SIZE
    allow_anonymous: bool = False
    audit_log: Path | str | None = None  # a file, or a URL (s3://bucket/prefix)
    max_depth: int = 10
    max_fields: int = 500
    max_aliases: int = 20
    max_tokens: int = 2000
    max_cost: int = 60
    cache_size: int = 256
    cache_bytes: int = DEFAULT_CACHE_BYTES
    query_cache_bytes: int = 16 * 1024 * 1024
    response_cache_bytes: int = DEFAULT_RESPONSE_CACHE_BYTES
    analysis_store_bytes: int = DEFAULT_STORE_BYTES
    max_body_bytes: int = 65536
    warm_interval_seconds: int = 5
    api_keys: Mapping[str, Caller] = field(default_factory=dict)
    privacy_ledger: Path | None = None
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    production: bool = False
    graphiql: bool | None = None  # None: on, except in production
    introspection: bool | None = None  # None: on, except in production
    metrics_roles: tuple[Role, ...] = ("admin",)
    cors_origins: tuple[str, ...] = ()
    oidc: OidcSettings | None = None
    engine: str = LOCAL
    storage: Mapping[str, str] = field(default_factory=dict, repr=False)  # object_store keys
    esmo_mcbs: EsmoRules = field(default_factory=EsmoRules)

    @property
    def lake(self) -> LakeLocation:
        """The lake with its storage options (``[storage]`` over the ``AWS_*`` environment)."""
        return locate(self.lake_root, self.storage or None)

    @property
    def audit(self) -> Path | LakeLocation | None:
        """The audit log: a file, or a prefix with the lake's storage options (``[storage]``
        over the ``AWS_*`` environment); ``None``: the ``hemalake.audit`` logger only."""
        if self.audit_log is None:
            return None
        return audit_target(self.audit_log, self.storage or None)

    @property
    def graphiql_enabled(self) -> bool:
        """Whether ``GET /graphql`` from a browser serves GraphiQL."""
        return not self.production if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        """Whether ``__schema``/``__type`` queries are allowed."""
        return not self.production if self.introspection is None else self.introspection

    @property
    def ledger_path(self) -> Path:
        """The privacy ledger's file: as set, else beside the lake (never inside it)."""
        if self.privacy_ledger is not None:
            return self.privacy_ledger
        local = self.lake.local
        if local is None:
            raise ConfigError("an object-storage lake needs privacy_ledger (a local SQLite file)")
        root = local.resolve()
        return root.parent / f"{root.name}-privacy.sqlite"

    def __post_init__(self) -> None:
        for name in (
            "min_cell_size",
            "max_depth",
            "max_fields",
            "max_aliases",
            "max_tokens",
            "max_cost",
            "cache_bytes",
            "query_cache_bytes",
            "analysis_store_bytes",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"setting {name} must be at least 1 (got {getattr(self, name)})")
        if self.response_cache_bytes < 0:
            raise ConfigError(
                "setting response_cache_bytes must be 0 (off) or more "
                f"(got {self.response_cache_bytes})"
            )
        if not 0 <= self.warm_interval_seconds <= 3600:
            raise ConfigError(
                "setting warm_interval_seconds must lie in [0, 3600] (0 turns warming off; got "
                f"{self.warm_interval_seconds})"
            )
        if self.engine != LOCAL and "://" not in self.engine:
            raise ConfigError(
                f'setting engine must be "{LOCAL}" or a Dask scheduler address such as '
                f'"tcp://10.0.0.5:8786" (got {self.engine!r})'
            )
        if self.privacy_ledger is None and self.lake.local is None:
            raise ConfigError(
                f"lake_root {self.lake_root} is object storage: set privacy_ledger to a local "
                "file (the privacy ledger is SQLite and cannot live in a bucket)"
            )
        bad_roles = [r for r in self.metrics_roles if r not in ROLES]
        if bad_roles:
            raise ConfigError(f"metrics_roles: {bad_roles} are not roles ({', '.join(ROLES)})")
        if self.production:
            problems = production_problems(self)
            if problems:
                raise ConfigError("production mode refuses to start:\n- " + "\n- ".join(problems))


_CASTS: dict[str, type] = {
    "min_cell_size": int,
    "max_depth": int,
    "max_fields": int,
    "max_aliases": int,
    "max_tokens": int,
    "max_cost": int,
    "cache_size": int,
    "cache_bytes": int,
    "query_cache_bytes": int,
    "response_cache_bytes": int,
    "analysis_store_bytes": int,
    "max_body_bytes": int,
    "warm_interval_seconds": int,
    "engine": str,
    "allow_anonymous": bool,
    "production": bool,
    "graphiql": bool,
    "introspection": bool,
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


_PRIVACY_CASTS: dict[str, type | tuple[type, ...]] = {
    "user_budget": (int, float),
    "deployment_budget": (int, float),
    "period_days": int,
    "interval_days": (int, float),
    "horizon_days": (int, float),
    "floor": int,
    "epsilon": dict,
}


def _privacy(data: object, source: str) -> PrivacySettings:
    """The ``[privacy]`` table: unknown keys and wrong types fail naming the key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: privacy must be a table")
    unknown = sorted(set(data) - set(_PRIVACY_CASTS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown privacy setting(s) {unknown}; valid: {', '.join(_PRIVACY_CASTS)}"
        )
    for name, kind in _PRIVACY_CASTS.items():
        if name in data and (not isinstance(data[name], kind) or isinstance(data[name], bool)):
            raise ConfigError(f"{source}: privacy.{name} has the wrong type ({data[name]!r})")
    epsilon = data.get("epsilon", {})
    for kind, value in epsilon.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"{source}: privacy.epsilon.{kind} must be a number ({value!r})")
    defaults = PrivacySettings()
    return PrivacySettings(
        epsilon={k: float(v) for k, v in epsilon.items()},
        user_budget=float(data.get("user_budget", defaults.user_budget)),
        deployment_budget=float(data.get("deployment_budget", defaults.deployment_budget)),
        period_days=int(data.get("period_days", defaults.period_days)),
        interval_days=float(data.get("interval_days", defaults.interval_days)),
        horizon_days=float(data.get("horizon_days", defaults.horizon_days)),
        floor=int(data.get("floor", defaults.floor)),
    )


def _storage(data: object, source: str) -> dict[str, str]:
    """The ``[storage]`` table over the ``AWS_*`` environment (:mod:`lake.location`)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: storage must be a table")
    try:
        return storage_options(data)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


_OIDC_CASTS: dict[str, type] = {
    "issuer": str,
    "audience": str,
    "jwks_url": str,
    "user_claim": str,
    "role_claim": str,
    "site_claim": str,
    "roles": dict,
    "algorithms": list,
    "leeway_seconds": int,
    "jwks_min_refresh_seconds": int,
}


def _oidc(data: object, source: str) -> OidcSettings:
    """The ``[oidc]`` table: unknown keys and wrong types fail naming the key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: oidc must be a table")
    unknown = sorted(set(data) - set(_OIDC_CASTS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown oidc setting(s) {unknown}; valid: {', '.join(_OIDC_CASTS)}"
        )
    for name, kind in _OIDC_CASTS.items():
        if name in data and (not isinstance(data[name], kind) or isinstance(data[name], bool)):
            raise ConfigError(f"{source}: oidc.{name} must be {kind.__name__} ({data[name]!r})")
    values = dict(data)
    if "algorithms" in values:
        values["algorithms"] = tuple(str(a) for a in values["algorithms"])
    if "roles" in values:
        values["roles"] = {str(k): cast("Role", v) for k, v in values["roles"].items()}
    if "issuer" not in values or "audience" not in values:
        raise ConfigError(f"{source}: oidc needs issuer and audience")
    return OidcSettings(**values)


def _strings(data: Mapping[str, Any], name: str, source: str) -> tuple[str, ...]:
    value = data[name]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: {name} must be a list of strings, got {value!r}")
    return tuple(value)


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
    root = str(data["lake_root"])
    values: dict[str, Any] = {"lake_root": root if "://" in root else Path(root)}
    values["storage"] = _storage(data.get("storage", {}), source)
    for name, kind in _CASTS.items():
        if name in data:
            if not isinstance(data[name], kind) or isinstance(data[name], bool) != (kind is bool):
                raise ConfigError(f"{source}: {name} must be {kind.__name__}, got {data[name]!r}")
            values[name] = data[name]
    if "audit_log" in data:
        log = str(data["audit_log"])
        values["audit_log"] = log if "://" in log else Path(log)
    if "privacy_ledger" in data:
        values["privacy_ledger"] = Path(data["privacy_ledger"])
    if "privacy" in data:
        values["privacy"] = _privacy(data["privacy"], source)
    if "oidc" in data:
        values["oidc"] = _oidc(data["oidc"], source)
    if "esmo_mcbs" in data:
        values["esmo_mcbs"] = rules_from_mapping(data["esmo_mcbs"], source=source)
    if "cors_origins" in data:
        values["cors_origins"] = _strings(data, "cors_origins", source)
    if "metrics_roles" in data:
        values["metrics_roles"] = _strings(data, "metrics_roles", source)
    keys = data.get("api_keys", {})
    values["api_keys"] = {d: _caller(d, e, source) for d, e in keys.items()}
    return Settings(**values)


def load_mapping(path: Path) -> dict[str, Any]:
    """The TOML settings file at ``path`` as read, not yet validated."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read settings {path}: {error}") from error


def load_settings(path: Path) -> Settings:
    """Read and validate the TOML settings file at ``path``."""
    return settings_from_mapping(load_mapping(path), source=str(path))
