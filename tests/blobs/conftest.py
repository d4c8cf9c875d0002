"""The blob-store suite runs twice: on the filesystem backend and on a real SeaweedFS S3 server."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from ecase import blobs

from . import seaweed

BUCKET = "ecase-test"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    server = seaweed.start(tmp_path_factory.mktemp("seaweedfs"))
    # One bucket: SeaweedFS makes each bucket a collection with volumes of its own, so a bucket per
    # test soon runs out of volume slots; tests are kept apart by a key prefix instead.
    seaweed.create_bucket(server.endpoint_url, BUCKET)
    yield server
    server.stop()


class Backend:
    """Raw access to what the backend holds, around the store (what someone with disk/bucket access sees)."""

    def __init__(self, kind: str, root: Path, endpoint_url: str | None = None, prefix: str = ""):
        self.kind, self.root, self.endpoint_url, self.bucket, self.prefix = kind, root, endpoint_url, BUCKET, prefix

    def names(self) -> list[str]:
        if self.kind == "filesystem":
            return sorted(
                p.relative_to(self.root).as_posix()
                for p in self.root.rglob("*")
                if p.is_file() and p.relative_to(self.root).parts[0] in {"blobs", "keys"}
            )
        pages = (
            seaweed.client(self.endpoint_url)
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=self.prefix)
        )
        return sorted(obj["Key"].removeprefix(self.prefix) for page in pages for obj in page.get("Contents", []))

    def read(self, name: str) -> bytes:
        if self.kind == "filesystem":
            return (self.root / name).read_bytes()
        return seaweed.client(self.endpoint_url).get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"].read()

    def write(self, name: str, data: bytes) -> None:
        if self.kind == "filesystem":
            path = self.root / name
            path.chmod(0o640)
            path.write_bytes(data)
        else:
            seaweed.client(self.endpoint_url).put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data)


@pytest.fixture
def master_key(settings, tmp_path):
    settings.ECASE_BLOB_MASTER_KEYS = blobs.new_master_key_line("k1")
    settings.ECASE_BLOB_MASTER_KEY_FILE = tmp_path / "no-key-file"
    return settings.ECASE_BLOB_MASTER_KEYS


@pytest.fixture(params=["filesystem", pytest.param("s3", marks=pytest.mark.slow)])
def backend(request, settings, tmp_path, master_key):
    settings.ECASE_PRIVATE_STORAGE = tmp_path / "private"
    if request.param == "filesystem":
        settings.ECASE_BLOB_STORAGE = "filesystem"
        return Backend("filesystem", settings.ECASE_PRIVATE_STORAGE)
    server = request.getfixturevalue("s3_server")
    location = f"t-{uuid.uuid4().hex}"  # a prefix per test: nothing leaks between tests
    settings.ECASE_BLOB_STORAGE = "s3"
    settings.ECASE_BLOB_S3 = {
        "endpoint_url": server.endpoint_url,
        "bucket_name": BUCKET,
        "location": location,
        "access_key": seaweed.ACCESS_KEY,
        "secret_key": seaweed.SECRET_KEY,
        "region_name": "us-east-1",
    }
    return Backend("s3", settings.ECASE_PRIVATE_STORAGE, server.endpoint_url, location + "/")
