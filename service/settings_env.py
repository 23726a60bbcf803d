"""Settings from the environment (containers): a mounted TOML file, then variables over it.

``HEMALAKE_SETTINGS`` names the TOML file (:mod:`service.settings`); each variable of
:data:`ENVIRONMENT` then sets one setting over the file's value. API keys and the ``[privacy]``,
``[esmo_mcbs]`` and ``[oidc.roles]`` tables come from the file only. docs/deployment.md lists the
variables (a test keeps that table equal to this one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from lake.errors import ConfigError
from service.settings import Settings, load_mapping, settings_from_mapping

SETTINGS_FILE_VARIABLE: Final = "HEMALAKE_SETTINGS"


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


#: Variable -> (setting path, parser of its text). ``oidc.x`` is a key of the ``[oidc]`` table.
ENVIRONMENT: Final[dict[str, tuple[str, Callable[[str], Any]]]] = {
    "HEMALAKE_LAKE_ROOT": ("lake_root", str),
    "HEMALAKE_PRODUCTION": ("production", _bool),
    "HEMALAKE_AUDIT_LOG": ("audit_log", str),
    "HEMALAKE_PRIVACY_LEDGER": ("privacy_ledger", str),
    "HEMALAKE_MIN_CELL_SIZE": ("min_cell_size", int),
    "HEMALAKE_ALLOW_ANONYMOUS": ("allow_anonymous", _bool),
    "HEMALAKE_GRAPHIQL": ("graphiql", _bool),
    "HEMALAKE_INTROSPECTION": ("introspection", _bool),
    "HEMALAKE_METRICS_ROLES": ("metrics_roles", _list),
    "HEMALAKE_CORS_ORIGINS": ("cors_origins", _list),
    "HEMALAKE_ENGINE": ("engine", str),
    "HEMALAKE_OIDC_ISSUER": ("oidc.issuer", str),
    "HEMALAKE_OIDC_AUDIENCE": ("oidc.audience", str),
    "HEMALAKE_OIDC_JWKS_URL": ("oidc.jwks_url", str),
    "HEMALAKE_OIDC_USER_CLAIM": ("oidc.user_claim", str),
    "HEMALAKE_OIDC_ROLE_CLAIM": ("oidc.role_claim", str),
    "HEMALAKE_OIDC_SITE_CLAIM": ("oidc.site_claim", str),
}


def settings_from_environment(environ: Mapping[str, str]) -> Settings:
    """The settings of ``HEMALAKE_SETTINGS`` (if set) with the variables of
    :data:`ENVIRONMENT` over them; a value that does not parse fails naming its variable."""
    file = environ.get(SETTINGS_FILE_VARIABLE)
    data: dict[str, Any] = dict(load_mapping(Path(file))) if file else {}
    for variable, (name, parse) in ENVIRONMENT.items():
        if variable not in environ:
            continue
        try:
            value = parse(environ[variable])
        except ValueError as error:
            raise ConfigError(f"{variable}={environ[variable]!r}: {error}") from error
        table, _, key = name.rpartition(".")
        if table:
            data[table] = {**data.get(table, {}), key: value}
        else:
            data[name] = value
    source = " and ".join(filter(None, [file, "the HEMALAKE_* environment variables"]))
    return settings_from_mapping(data, source=source)
