"""A real S3 HTTP API on loopback: moto's standalone server (``ThreadedMotoServer``), with the
variables obstore, Polars and the workers read to reach it, and a fresh bucket per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "AKIASECASSETSTEST01"
SECRET_KEY = "s3-s3cr3t-Key/for+the+tests0123456789abc"
REGION = "us-east-1"


@dataclass
class S3Server:
    host: str
    port: int
    server: object

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        """What a process needs to reach the server (also given to subprocesses)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def bucket(self, prefix: str = "sec") -> str:
        """A new bucket; returns its ``s3://`` URL with a prefix inside it."""
        import boto3

        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )
        client.create_bucket(Bucket=name)
        return f"s3://{name}/data"

    def stop(self) -> None:
        self.server.stop()  # type: ignore[attr-defined]

    def start(self) -> None:
        """Start again on the same port (the objects stored so far are kept: moto keeps them
        in this process)."""
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self.server.start()  # type: ignore[attr-defined]


@contextmanager
def s3_server() -> Iterator[S3Server]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    handle = S3Server(host, port, server)
    saved = {k: os.environ.get(k) for k in handle.env()}
    os.environ.update(handle.env())
    try:
        yield handle
    finally:
        handle.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def whole_envelopes(url: str) -> int:
    """Every bronze exchange in the bucket is a whole gzipped envelope; returns how many."""
    import gzip

    import orjson

    from sec_assets import objects

    keys = [k for k in objects.list_sizes(url, "") if k.endswith(".json.gz")]
    for key, data in objects.get_many(url, keys).items():
        assert orjson.loads(gzip.decompress(data))["key"], key
    return len(keys)


def covered_hours(url: str, cache: Path, month: str) -> set[str]:
    """The hours of ``month`` with a valid ``sec_snapshots`` answer in the bucket."""
    from sec_assets.bronze.store import open_store
    from sec_assets.objects import ObjectLocation

    store = open_store(ObjectLocation(url, cache), "sec_snapshots")
    return set(store.latest_good(month))
