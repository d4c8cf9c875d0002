"""Two web nodes behind haproxy (issue #19): they share PostgreSQL, Redis, the S3 object store and the
master keys, nothing else. haproxy balances round-robin without stickiness, so consecutive requests
alternate between the nodes: a resumable upload whose pieces land on both, a line cut on one node
and resumed on the other, the session valid on either, the file downloaded through either.

haproxy is a Debian package (.ci/run installs it); SeaweedFS comes from the dev dependencies.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from evidence.models import EvidenceFile, ResumableUpload
from tests.auth import verified_client
from tests.blobs import nodes, seaweed
from tests.evidence.helpers import add_item

SIZE = 48 * nodes.MIB + 12345
CHUNK = 8 * nodes.MIB


@pytest.fixture
def cluster(tmp_path, settings, s3_server, master_key):
    if nodes.haproxy_binary() is None:
        pytest.fail("haproxy is not installed (apt-get install haproxy; .ci/run does it)")
    bucket = "ecase-nodes"
    seaweed.create_bucket(s3_server.endpoint_url, bucket)
    settings.ECASE_PRIVATE_STORAGE = tmp_path / "private"
    settings.ECASE_BLOB_STORAGE = "s3"
    settings.ECASE_BLOB_S3 = {
        "endpoint_url": s3_server.endpoint_url,
        "bucket_name": bucket,
        "access_key": seaweed.ACCESS_KEY,
        "secret_key": seaweed.SECRET_KEY,
        "region_name": "us-east-1",
    }
    started = []
    try:
        for name in ("node1", "node2"):
            # Each node has a spool directory of its own: no local disk is shared.
            env = nodes.node_environment({"ECASE_PRIVATE_STORAGE": str(tmp_path / f"{name}-private")})
            started.append(nodes.start_node(tmp_path, name, env))
        balancer = nodes.start_haproxy(tmp_path, started)
        started.append(balancer)
        yield balancer
    finally:
        for process in reversed(started):
            process.stop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_upload_alternates_between_two_nodes_and_downloads_through_either(cluster, case, investigator):
    item = add_item(case, investigator)
    source = nodes.LargeFile(SIZE)
    client = nodes.TusClient("127.0.0.1", cluster.port, verified_client(investigator).session.session_key)
    location = client.create(f"/evidence/{item.pk}/uploads/", SIZE, "видео обыска.mp4")

    served_by, offset, cut = [], 0, False
    while offset < SIZE:
        end = min(SIZE, offset + CHUNK)
        if offset == 2 * CHUNK and not cut:
            # The line drops in the middle of a piece on one node; HEAD and the next PATCH go to the other.
            cut = True
            assert client.patch(location, source, offset, end, cut_after=CHUNK // 2 + 99) is None
            offset = _resume_offset(client, location)
            continue
        answer = client.patch(location, source, offset, end)
        if answer.status in (0, 409, 423):  # the cut request was still letting go of the upload
            offset = _resume_offset(client, location)
            continue
        assert answer.status == 204, (answer.status, answer.body[:300])
        served_by.append(answer.headers["x-node"])
        offset = int(answer.headers["upload-offset"])
    assert {"node1", "node2"} <= set(served_by), served_by

    record = EvidenceFile.objects.get(item=item)
    assert record.sha256 == source.sha256() and record.size == SIZE
    assert ResumableUpload.objects.get().file == record

    # The session and the download through both nodes, each streaming the decrypted file from S3.
    downloaded_by = set()
    for _ in range(2):
        answer = client.request("GET", f"/evidence/files/{record.pk}/")
        assert answer.status == 200, answer.status
        assert hashlib.sha256(answer.body).hexdigest() == record.sha256
        downloaded_by.add(answer.headers["x-node"])
        page = client.request("GET", f"/evidence/{item.pk}/")
        assert page.status == 200 and re.search(record.sha256.encode(), page.body)
        downloaded_by.add(page.headers["x-node"])
    assert downloaded_by == {"node1", "node2"}


def _resume_offset(client: nodes.TusClient, location: str) -> int:
    import time

    time.sleep(0.5)
    return client.offset(location)
