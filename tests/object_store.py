"""Object stores on 127.0.0.1 for the object-store and scale-out tests, each in its own process and
stopped when the test is done: moto's S3 server (`python -m moto.server`) with the AWS variables
that point boto3, s3fs and DuckDB's httpfs at it, and gcp-storage-emulator's GCS JSON API with
STORAGE_EMULATOR_HOST, which gcsfs reads."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tests.servers import LocalServer, serve

KEY_ID = "newsmon-test-key"
SECRET = "newsmon-test-secret-never-logged"


_GUARD: dict = {"on": False, "refused": []}


def _loopback(host) -> bool:
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _audit(event: str, args: tuple) -> None:
    if not _GUARD["on"]:
        return
    if event == "socket.connect" and isinstance(args[1], tuple) and not _loopback(args[1][0]):
        _GUARD["refused"].append(args[1])
        raise ConnectionRefusedError(f"test guard: no connection off loopback ({args[1][0]})")
    if event == "socket.getaddrinfo" and not _loopback(args[0]):
        _GUARD["refused"].append(args[:2])
        raise socket.gaierror(f"test guard: no name lookup off loopback ({args[0]})")


@contextmanager
def loopback_only() -> Iterator[list]:
    """Within it, this process connects to and looks up loopback addresses only: anything else (a
    metadata server, Google's token endpoint, DNS) is refused and listed in the yielded list. An audit
    hook, so every Python library's socket is covered; not DuckDB's own (C++) connections."""
    if not _GUARD.get("hooked"):
        sys.addaudithook(_audit)  # hooks cannot be removed: it is off outside this block
        _GUARD["hooked"] = True
    _GUARD.update(on=True, refused=[])
    try:
        yield _GUARD["refused"]
    finally:
        _GUARD["on"] = False


class MotoServer(LocalServer):
    def environment(self) -> dict[str, str]:
        """The usual AWS variables, naming this server and its test credentials."""
        return {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION": "us-east-1",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.endpoint}

    def start(self) -> MotoServer:
        self.process = serve(["nice", "-n", "5", sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                              str(self.port)], self.port, self.log, "moto server",
                             env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"})
        return self

    def make_bucket(self, name: str) -> str:
        import boto3

        boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
                     region_name="us-east-1").create_bucket(Bucket=name)
        return f"s3://{name}"

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=KEY_ID,
                              aws_secret_access_key=SECRET, region_name="us-east-1")
        keys = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)


class GcsEmulator(LocalServer):
    """gcp-storage-emulator (GCS's JSON API, in memory) on 127.0.0.1; environment() points gcsfs at it
    with no credentials (newsmon.objects then uses token='anon': no Google token endpoint or metadata
    server is asked)."""

    def environment(self) -> dict[str, str]:
        return {"STORAGE_EMULATOR_HOST": self.endpoint}

    def start(self) -> GcsEmulator:
        self.process = serve(["nice", "-n", "5", sys.executable, "-m", "gcp_storage_emulator", "start", "--host",
                              "127.0.0.1", "--port", str(self.port), "--in-memory", "--quiet"], self.port, self.log,
                             "GCS emulator")
        return self

    def _filesystem(self):
        from gcsfs.core import GCSFileSystem

        return GCSFileSystem(token="anon", project="newsmon-test", endpoint_url=self.endpoint,
                             skip_instance_cache=True, use_listings_cache=False)

    def make_bucket(self, name: str) -> str:
        self._filesystem().mkdir(name)
        return f"gs://{name}"

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        found = self._filesystem().find(f"{bucket}/{prefix}")
        return sorted(name.split("/", 1)[1] for name in found)

