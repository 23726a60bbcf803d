"""The manifest watch (service/manifest_watch.py) sees every commit made before it is asked,
through the log directory it holds open, and nothing before the lake has a commit."""

from __future__ import annotations

from pathlib import Path

from lake.location import locate
from lake.storage import MANIFEST
from service.manifest_watch import ManifestWatch


def commit(log: Path, number: int) -> None:
    (log / f"{number:020d}.json").write_text("{}\n")


def test_the_watch_sees_each_commit_made_before_the_call(tmp_path: Path) -> None:
    watch = ManifestWatch(locate(tmp_path))
    assert watch() is None  # no manifest yet
    log = tmp_path / MANIFEST / "_delta_log"
    log.mkdir(parents=True)
    commit(log, 0)
    commit(log, 1)
    assert watch() == 1
    assert watch() == 1  # nothing new: the same commit
    commit(log, 2)
    assert watch() == 2
    commit(log, 3)
    commit(log, 4)
    assert watch() == 4  # several commits between two calls
