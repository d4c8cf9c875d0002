"""Benchmark of evidence uploads through the app (issue #19): one large file (1 GB by default) sent as
a resumable (tus) upload to a real web node, stored encrypted in a real S3 server (SeaweedFS), and
downloaded back through the permission-checked view — against copying the same bytes straight to
the same object store with boto3. And the encryption's own share.

    python bench/upload_bench.py [--mb 1024] [--chunk-mb 64]

Through the app: one gunicorn node (gthread, as deployed) on 127.0.0.1, a signed-in session, tus
PATCHes of ``--chunk-mb`` over loopback; the clock runs from the creation POST to the answer of the
last PATCH (which includes assembling the parts into the blob and writing the EvidenceFile row).
Download: GET of the file view, the body read to its end (decrypting, every tag and the hash
checked). Straight: boto3 ``upload_fileobj`` / ``download_fileobj`` of the same bytes, in memory
(no disk on the client side of either path). Encryption: AES-256-GCM in 1 MiB segments plus
SHA-256 of the plaintext over the bytes in memory, no I/O. One run each (the file is large); the
machine is shared, so the ratios of one run are what to compare. Its own database (ecase_bench_upload,
dropped and migrated first). Writes bench/RESULTS_UPLOADS.md and refreshes bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = Path(__file__).resolve().parent / "RESULTS_UPLOADS.md"
DB_NAME = "ecase_bench_upload"
MIB = 1024 * 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--chunk-mb", type=int, default=64)
    args = parser.parse_args()

    from bench.fresh_db import bench_database_url, fresh_database

    work = Path(tempfile.mkdtemp(prefix="ecase-upload-bench-"))
    url = bench_database_url(DB_NAME)
    os.environ.update(
        {
            "DATABASE_URL": url,
            "ECASE_VAR_DIR": str(work),
            "ECASE_PRIVATE_STORAGE": str(work / "private"),
            "ECASE_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "ecase.settings",
        }
    )
    print(f"preparing {DB_NAME} …", flush=True)
    fresh_database(url)
    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings

    from bench import results
    from cases.reference_data import load
    from ecase import blobs
    from evidence.models import EvidenceFile
    from tests.auth import verified_client
    from tests.blobs import nodes, seaweed
    from tests.evidence.helpers import add_item
    from tests.factories import UnitFactory, make_user, register

    size = args.mb * MIB
    source = nodes.LargeFile(size)
    server = seaweed.start(work / "seaweedfs")
    node = None
    rows: dict[str, float] = {}
    try:
        seaweed.create_bucket(server.endpoint_url, "bench")
        s3 = seaweed.client(server.endpoint_url)
        settings.ECASE_BLOB_MASTER_KEYS = blobs.new_master_key_line("bench1")
        settings.ECASE_BLOB_STORAGE = "s3"
        settings.ECASE_BLOB_S3 = {
            "endpoint_url": server.endpoint_url,
            "bucket_name": "bench",
            "access_key": seaweed.ACCESS_KEY,
            "secret_key": seaweed.SECRET_KEY,
            "region_name": "us-east-1",
        }
        settings.ECASE_MAX_RESUMABLE_UPLOAD_BYTES = max(size, settings.ECASE_MAX_RESUMABLE_UPLOAD_BYTES)

        load(apps)
        unit = UnitFactory(code="AST", name_ru="ДП г. Астана", name_kk="Астана қ. ПД", kind="region", city="Астана")
        investigator = make_user("investigator", "investigator", unit, last_name="Ахметов", first_name="Нұрлан")
        prosecutor = make_user("prosecutor", "prosecutor", unit, last_name="Оспанов", first_name="Бауыржан")
        item = add_item(register(actor=investigator, prosecutor=prosecutor), investigator)
        session = verified_client(investigator).session.session_key

        print(f"hashing and encrypting {args.mb} MB in memory …", flush=True)
        # Both figures include making the bytes on the fly; their difference is the encryption.
        rows["sha256"], digest = _timed(lambda: source.sha256())
        rows["encrypt"], _ = _timed(lambda: _encrypt(source))

        print("straight to the object store …", flush=True)
        rows["s3 up"], _ = _timed(lambda: s3.upload_fileobj(_Stream(source), "bench", "plain/source"))
        rows["s3 down"], _ = _timed(lambda: s3.download_fileobj("bench", "plain/source", _Sink()))

        env = nodes.node_environment({"ECASE_LOG_LEVEL": "WARNING", "ECASE_VAR_DIR": str(work)})  # its secret key
        env["ECASE_MAX_RESUMABLE_UPLOAD_BYTES"] = str(settings.ECASE_MAX_RESUMABLE_UPLOAD_BYTES)
        node = nodes.start_node(work, "bench-node", env)
        client = nodes.TusClient("127.0.0.1", node.port, session)

        print("through the app …", flush=True)

        def upload() -> None:
            location = client.create(f"/evidence/{item.pk}/uploads/", size, "bench.mp4")
            assert client.upload(location, source, chunk=args.chunk_mb * MIB) == 0

        rows["app up"], _ = _timed(upload)
        record = EvidenceFile.objects.get(item=item)
        assert record.sha256 == digest, "the stored file's hash differs"
        rows["app down"], body = _timed(lambda: _download(client, record.pk))
        assert body == digest, "the downloaded bytes differ"
    finally:
        if node is not None:
            node.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    OUT.write_text(_report(rows, args, seaweed_version()))
    results.refresh()
    print(OUT.read_text())
    return 0


def _timed(action):
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def _encrypt(source) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead, digest = AESGCM(AESGCM.generate_key(256)), hashlib.sha256()
    for counter, piece in enumerate(source.read(0, source.size)):
        digest.update(piece)
        aead.encrypt(counter.to_bytes(12, "big"), piece, None)


class _Stream(io.RawIOBase):
    """The large file as a readable stream, made on the fly (no disk on the client side)."""

    def __init__(self, source):
        self._pieces, self._buffer = source.read(0, source.size), b""

    def readable(self):
        return True

    def readinto(self, target) -> int:
        if not self._buffer:
            self._buffer = next(self._pieces, b"")
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count


class _Sink(io.RawIOBase):
    def writable(self):
        return True

    def write(self, data) -> int:
        return len(data)


def _download(client, file_id: int) -> str:
    import http.client

    conn = http.client.HTTPConnection(client.host, client.port, timeout=600)
    try:
        conn.request("GET", f"/evidence/files/{file_id}/", headers=client.headers())
        response = conn.getresponse()
        assert response.status == 200, response.status
        digest = hashlib.sha256()
        while piece := response.read(MIB):
            digest.update(piece)
        return digest.hexdigest()
    finally:
        conn.close()


def _report(rows: dict[str, float], args, weed: str) -> str:
    mb = args.mb

    def speed(seconds: float) -> str:
        return f"{mb / seconds:,.0f}"

    return (
        "\n".join(
            [
                "# Evidence uploads through the app vs straight to the object store (issue #19)",
                "",
                f"`python bench/upload_bench.py --mb {mb} --chunk-mb {args.chunk_mb}` on {date.today().isoformat()}, "
                f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; one {mb} MB file "
                f"(made on the fly); S3 is SeaweedFS {weed} on 127.0.0.1; the app is one gunicorn node (gthread) "
                "on the same machine, so client, node, object store and database share its CPUs. One run each.",
                "",
                "| direction | straight to S3 (boto3), s | MB/s | through the app, s | MB/s | app ÷ straight |",
                "|---|---:|---:|---:|---:|---:|",
                f"| upload (tus PATCHes of {args.chunk_mb} MiB → sealed parts in S3 → one blob + EvidenceFile) | "
                f"{rows['s3 up']:.1f} | {speed(rows['s3 up'])} | {rows['app up']:.1f} | {speed(rows['app up'])} | "
                f"**{rows['app up'] / rows['s3 up']:.2f}×** |",
                f"| download (the file view: S3 stream → decrypt → check → HTTP) | {rows['s3 down']:.1f} | "
                f"{speed(rows['s3 down'])} | {rows['app down']:.1f} | {speed(rows['app down'])} | "
                f"**{rows['app down'] / rows['s3 down']:.2f}×** |",
                "",
                f"* **Encryption overhead:** AES-256-GCM in 1 MiB segments over the whole file, in memory: "
                f"{rows['encrypt'] - rows['sha256']:.1f} s — the difference between making the bytes, hashing and "
                f"encrypting them ({rows['encrypt']:.1f} s) and making and hashing them only ({rows['sha256']:.1f} s; "
                "the SHA-256 is the address, needed with or without encryption): "
                f"{(rows['encrypt'] - rows['sha256']) / rows['app up']:.1%} of the upload through the app, "
                f"{(rows['encrypt'] - rows['sha256']) / rows['app down']:.1%} of the download (decryption costs about "
                "what encryption does).",
                "* The upload through the app does more than the copy: the bytes cross HTTP twice (client → node → S3), "
                "are sealed and hashed on the way, and at the end the parts are copied once more into the blob under its "
                "address (the address is the plaintext's hash, known only with the last byte).",
            ]
        )
        + "\n"
    )


def seaweed_version() -> str:
    import subprocess

    from tests.blobs import seaweed

    out = subprocess.run([seaweed.weed_binary(), "version"], capture_output=True, text=True).stdout.split()
    return out[2] if len(out) > 2 else "?"


if __name__ == "__main__":
    sys.exit(main())
