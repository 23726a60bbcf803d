"""The Dask side of the distributed engine: partitions of a lake version, tasks, exact merge.

A query fans out one task per site partition (:mod:`lake.distributed.partition`) to the
cluster's workers, which keep each partition's column cache between queries; the client merges
the partitions' patient counts or count tables. Workers read the lake themselves, so they must
reach the same lake URL as the service (a shared disk or object storage).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
from deltalake import DeltaTable

from distributed import Client
from lake.cohort.filters import CohortFilter
from lake.distributed.partition import (
    FrameSpec,
    merge_counts,
    partition_counts,
    partition_size,
)
from lake.errors import ConfigError, EmptyCohortError
from lake.location import LakeLocation, locate
from lake.storage import LakeRoot, LakeSnapshot, open_lake

#: The engine setting that keeps every query in process.
LOCAL: str = "local"


def lake_sites(snapshot: LakeSnapshot) -> list[str]:
    """The sites holding rows in any table of ``snapshot``, from the Delta logs' partition
    values (no data file is read)."""
    sites: set[str] = set()
    for name, version in snapshot.table_versions.items():
        table = DeltaTable(
            snapshot.root.uri(name), version=version, storage_options=snapshot.root.delta_options
        )
        sites.update(str(p["site"]) for p in table.partitions() if p.get("site") is not None)
    return sorted(sites)


@dataclass(frozen=True, slots=True)
class DaskEngine:
    """A Dask client and the lake its workers read (``root``: as the workers see it).

    The lake's storage options travel to the workers with each task: on object storage with
    credentials from the settings file, secure the cluster's comms (Dask TLS) or give the
    workers ``AWS_*`` variables and the service none in its settings.
    """

    client: Client
    root: LakeLocation
    #: site partitions per lake version (a version never changes; listing them reads every
    #: table's Delta log, several round trips on object storage)
    _sites: dict[int, list[str]] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def connect(cls, address: str, root: LakeRoot, *, timeout: float = 30.0) -> DaskEngine:
        """A client of the scheduler at ``address`` (e.g. ``tcp://10.0.0.5:8786``).

        Raises
        ------
        ConfigError
            The scheduler does not answer within ``timeout`` seconds.
        """
        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise ConfigError(
                f"engine: no Dask scheduler answers at {address} ({error}); start one "
                '(`dask scheduler`, `dask worker ADDRESS`) or set engine = "local"'
            ) from error
        return cls(client=client, root=locate(root))

    def sites(self, lake_version: int) -> list[str]:
        """The site partitions of ``lake_version``."""
        if lake_version not in self._sites:
            self._sites[lake_version] = lake_sites(open_lake(self.root, lake_version))
        return self._sites[lake_version]

    def sizes(self, lake_version: int, cohort_filter: CohortFilter) -> tuple[int, ...]:
        """The cohort's patients per site partition (in :meth:`sites` order)."""
        futures = [
            self.client.submit(
                partition_size, self.root, lake_version, site, cohort_filter, pure=False
            )
            for site in self.sites(lake_version)
        ]
        return tuple(int(n) for n in self.client.gather(futures))

    def counts(
        self, lake_version: int, cohort_filter: CohortFilter, spec: FrameSpec
    ) -> pl.DataFrame:
        """The cohort's analysis frame as one count table merged over every partition."""
        sites = self.sites(lake_version)
        futures = [
            self.client.submit(
                partition_counts, self.root, lake_version, site, cohort_filter, spec, pure=False
            )
            for site in sites
        ]
        answers = self.client.gather(futures)
        refused = [(site, error) for site, (_, error) in zip(sites, answers, strict=True) if error]
        if len(refused) == len(answers):
            site, error = refused[0]
            raise EmptyCohortError(
                f"{error} (counts of site {site}; no site of the lake has a patient left)"
            )
        return merge_counts([table for table, _ in answers])

    def close(self) -> None:
        """Disconnect from the scheduler (the cluster keeps running)."""
        self.client.close()
