"""Benchmark of the blob store (issue #19): put and get of one large file through ecase/blobs.py
on the filesystem and on a real S3 server (SeaweedFS), against copying it straight.

    python bench/blob_bench.py [--mb 200] [--runs 3]

Straight copy: a plain file copy (filesystem) and boto3 ``upload_file`` / ``download_file`` to the
same S3 server. Through the store: ``blobs.put`` (hash, encrypt in 1 MiB AES-256-GCM segments,
spool, fsync/rename or upload) and ``blobs.open`` read to a file (decrypt, check every tag and the
hash). Encryption overhead: AES-256-GCM + SHA-256 over the file in memory-sized segments, no I/O.
Each figure is the median of ``--runs``. Writes bench/RESULTS_BLOBS.md and refreshes bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecase.settings")
WORK = Path(tempfile.mkdtemp(prefix="ecase-blob-bench-"))
os.environ.update(ECASE_PRIVATE_STORAGE=str(WORK / "private"), ECASE_BLOB_MASTER_KEY_FILE=str(WORK / "keys"))

import django  # noqa: E402

django.setup()

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from django.conf import settings  # noqa: E402

from bench import results  # noqa: E402
from ecase import blobs  # noqa: E402
from tests.blobs import seaweed  # noqa: E402

OUT = Path(__file__).resolve().parent / "RESULTS_BLOBS.md"
MIB = 1024 * 1024


def timed(action, runs: int, after=None) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
        if after is not None:
            after()
    return statistics.median(times)


def make_file(path: Path, mb: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for _ in range(mb):
            chunk = os.urandom(MIB)
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def copy_synced(source: Path, target: Path) -> None:
    with open(source, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, MIB)
        dst.flush()
        os.fsync(dst.fileno())


def through_store_get(sha: str, target: Path) -> None:
    with blobs.open(sha) as stream, open(target, "wb") as out:
        shutil.copyfileobj(stream, out, MIB)


def encryption_only(source: Path) -> None:
    aead, digest = AESGCM(AESGCM.generate_key(256)), hashlib.sha256()
    with open(source, "rb") as src:
        counter = 0
        while chunk := src.read(MIB):
            digest.update(chunk)
            aead.encrypt(counter.to_bytes(12, "big"), chunk, None)
            counter += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    source, target = WORK / "source.bin", WORK / "copy.bin"
    sha = make_file(source, args.mb)
    put = lambda: blobs.put(open(source, "rb"))  # noqa: E731
    forget = lambda: blobs.delete(sha)  # noqa: E731 — content-addressed: a second put of the same bytes stores nothing
    rows = {}

    settings.ECASE_BLOB_STORAGE = "filesystem"
    rows["fs copy"] = timed(lambda: copy_synced(source, target), args.runs)
    rows["fs read"] = timed(lambda: shutil.copyfile(source, target), args.runs)
    rows["fs put"] = timed(put, args.runs, after=forget)
    put()
    rows["fs get"] = timed(lambda: through_store_get(sha, target), args.runs)
    forget()
    rows["encrypt"] = timed(lambda: encryption_only(source), args.runs)

    server = seaweed.start(WORK / "seaweedfs")
    try:
        seaweed.create_bucket(server.endpoint_url, "bench")
        client = seaweed.client(server.endpoint_url)
        settings.ECASE_BLOB_STORAGE = "s3"
        settings.ECASE_BLOB_S3 = {
            "endpoint_url": server.endpoint_url,
            "bucket_name": "bench",
            "access_key": seaweed.ACCESS_KEY,
            "secret_key": seaweed.SECRET_KEY,
        }
        rows["s3 copy up"] = timed(lambda: client.upload_file(str(source), "bench", "plain/source"), args.runs)
        rows["s3 copy down"] = timed(lambda: client.download_file("bench", "plain/source", str(target)), args.runs)
        rows["s3 put"] = timed(put, args.runs, after=forget)
        put()
        rows["s3 get"] = timed(lambda: through_store_get(sha, target), args.runs)
    finally:
        server.stop()
        shutil.rmtree(WORK, ignore_errors=True)

    mb = args.mb

    def speed(seconds: float) -> str:
        return f"{mb / seconds:,.0f}"

    lines = [
        "# Blob store: put and get through the encrypted store vs a straight copy (issue #19)",
        "",
        f"`python bench/blob_bench.py --mb {mb} --runs {args.runs}` on {date.today().isoformat()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; one {mb} MB file of random "
        f"bytes; S3 is SeaweedFS {seaweed_version()} on 127.0.0.1 (`weed server -filer -s3`, data on the same disk). "
        f"Median of {args.runs} runs each; the machine is shared, so compare ratios made in the same run.",
        "",
        "| operation | straight copy, s | MB/s | through the blob store, s | MB/s | store ÷ copy |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, copy, store in (
        ("filesystem put (copy with fsync)", "fs copy", "fs put"),
        ("filesystem get (read to a file, no fsync)", "fs read", "fs get"),
        ("S3 put (boto3 upload_file)", "s3 copy up", "s3 put"),
        ("S3 get (boto3 download_file)", "s3 copy down", "s3 get"),
    ):
        lines.append(
            f"| {label} | {rows[copy]:.2f} | {speed(rows[copy])} | {rows[store]:.2f} | "
            f"{speed(rows[store])} | **{rows[store] / rows[copy]:.2f}×** |"
        )
    lines += [
        "",
        f"* **Encryption overhead:** AES-256-GCM in 1 MiB segments plus SHA-256 of the plaintext, reading the "
        f"file and no writing: {rows['encrypt']:.2f} s ({speed(rows['encrypt'])} MB/s) — "
        f"{rows['encrypt'] / rows['fs put']:.0%} of a filesystem put, {rows['encrypt'] / rows['s3 put']:.0%} of "
        "an S3 put.",
        "* Straight copies: put is compared with a copy that fsyncs (as the store does), get with a plain "
        "`shutil.copyfile` (a download in the app is a stream, not a durable file). A ratio below 1 is noise "
        "of the shared machine: the store does strictly more work than the copy.",
        "* A put writes the ciphertext twice on the filesystem path only when the spool and the store are on "
        "different disks; here they are not (the spool is renamed into place). On S3 the spool is uploaded "
        "(multipart) after it is complete, because the object's name is the plaintext's hash.",
    ]
    OUT.write_text("\n".join(lines) + "\n")
    results.refresh()
    print(OUT.read_text())


def seaweed_version() -> str:
    import subprocess

    out = subprocess.run([seaweed.weed_binary(), "version"], capture_output=True, text=True).stdout.split()
    return out[2] if len(out) > 2 else "?"


if __name__ == "__main__":
    main()
