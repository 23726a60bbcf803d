"""The per-request context every resolver receives as ``Info[Context, None]``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lake.access import AuditSink, Caller
from lake.query.gateway import LakeGateway
from lake.query.release import Released

from schema.dataloaders import DataLoaders


@dataclass
class Context:
    """Who is asking, the lake boundary, this request's DataLoaders and the audit sink.

    ``lake_versions`` collects the lake versions the request read, for the request's audit entry;
    ``operation_hash`` is the hash of the normalised operation (set by
    :class:`schema.audit.AuditRequests` before execution; audited and shown in provenance);
    ``action`` what the operation did (:func:`schema.audit.operation_action`, set with its audit
    record; read by the service's response cache).
    """

    caller: Caller
    gateway: LakeGateway
    loaders: DataLoaders
    audit: AuditSink
    lake_versions: set[int] = field(default_factory=set)
    operation_hash: str = ""
    variables: dict[str, object] = field(default_factory=dict)
    operation_name: str | None = None
    figures: dict[str, Released[Any]] = field(default_factory=dict)
    action: str = ""

    @classmethod
    def for_request(cls, *, caller: Caller, gateway: LakeGateway, audit: AuditSink) -> Context:
        """A fresh context (with fresh DataLoaders) for one request."""
        return cls(caller=caller, gateway=gateway, loaders=DataLoaders.create(gateway), audit=audit)
