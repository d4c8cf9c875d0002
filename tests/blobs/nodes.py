"""Real web nodes for the upload tests: gunicorn processes on free ports, haproxy in front, a tus client
that speaks over a raw socket (so a connection can be really cut mid-body), and a large file made on the fly.

Each node shares only what production nodes share: the database (the test database, so the test
must be transactional), Redis, the blob backend and the master keys (from the environment).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.db import connection

from tests.blobs.seaweed import free_ports

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


# --- a large file, made on the fly -------------------------------------------------------------


class LargeFile:
    """``size`` bytes of an MP4 (a real ``ftyp`` box, then an AES-CTR keystream): any range, no disk."""

    HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"

    def __init__(self, size: int, seed: bytes = b"ecase-large-file"):
        self.size, self._key = size, hashlib.sha256(seed).digest()

    def _block(self, index: int) -> bytes:
        counter = (index * (MIB // 16)).to_bytes(16, "big")  # block i continues the keystream of block i-1
        encryptor = Cipher(algorithms.AES(self._key), modes.CTR(counter)).encryptor()
        block = encryptor.update(b"\x00" * MIB)
        return self.HEAD + block[len(self.HEAD) :] if index == 0 else block

    def read(self, start: int, end: int) -> Iterator[bytes]:
        """The bytes [start, end) in pieces of at most 1 MiB."""
        while start < end:
            index, at = divmod(start, MIB)
            piece = self._block(index)[at : min(MIB, at + end - start)]
            yield piece
            start += len(piece)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for piece in self.read(0, self.size):
            digest.update(piece)
        return digest.hexdigest()


# --- a tus client over a raw socket ------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class TusClient:
    """The browser's part: a signed-in session (cookie + CSRF token), tus requests to ``base``."""

    def __init__(self, host: str, port: int, session_key: str):
        self.host, self.port = host, port
        self.csrf = "c" * 32  # an unmasked CSRF secret: the cookie and the header carry the same
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}; {settings.CSRF_COOKIE_NAME}={self.csrf}"

    def headers(self, **extra) -> dict[str, str]:
        return {"Tus-Resumable": "1.0.0", "Cookie": self.cookie, "X-CSRFToken": self.csrf, **extra}

    def request(self, method: str, path: str, body: bytes = b"", **headers) -> Answer:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        try:
            conn.request(method, path, body=body, headers=self.headers(**headers))
            response = conn.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def create(self, path: str, length: int, name: str) -> str:
        metadata = "filename " + base64.b64encode(name.encode()).decode()
        answer = self.request("POST", path, **{"Upload-Length": str(length), "Upload-Metadata": metadata})
        assert answer.status == 201, (answer.status, answer.body[:500])
        return answer.headers["location"]

    def offset(self, location: str) -> int:
        answer = self.request("HEAD", location)
        assert answer.status == 200, (answer.status, answer.headers)
        return int(answer.headers["upload-offset"])

    def patch(self, location: str, source: LargeFile, start: int, end: int, *, cut_after: int | None = None):
        """Send [start, end) in one PATCH. With ``cut_after``, the socket is closed (RST) after that many
        bytes of the body, as a dropped line would: no answer is read. Otherwise the answer."""
        sock = socket.create_connection((self.host, self.port), timeout=600)
        try:
            head = [
                f"PATCH {location} HTTP/1.1",
                f"Host: {self.host}:{self.port}",
                f"Content-Length: {end - start}",
                "Content-Type: application/offset+octet-stream",
                f"Upload-Offset: {start}",
                "Connection: close",
                *(f"{k}: {v}" for k, v in self.headers().items()),
            ]
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            sent = 0
            try:
                for piece in source.read(start, end):
                    if cut_after is not None and sent + len(piece) > cut_after:
                        sock.sendall(piece[: cut_after - sent])
                        # SO_LINGER 0: close() sends a reset, the server's read fails at once (a cable pulled).
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                        return None
                    sock.sendall(piece)
                    sent += len(piece)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered before the body ended (a refusal): read its answer
            response = http.client.HTTPResponse(sock)
            try:
                response.begin()
            except (OSError, http.client.HTTPException):
                return Answer(0, {}, b"")
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            sock.close()

    def upload(self, location: str, source: LargeFile, *, chunk: int, cuts: dict[int, int] | None = None) -> int:
        """Send the whole file in PATCHes of ``chunk`` bytes, resuming (HEAD) after every cut.

        ``cuts`` maps a chunk's start to the number of its bytes after which the line drops. Returns
        how many resumptions there were."""
        cuts, resumed, offset = dict(cuts or {}), 0, self.offset(location)
        deadline = time.monotonic() + 1800
        while offset < source.size:
            assert time.monotonic() < deadline, "the upload did not finish"
            end = min(source.size, offset + chunk)
            answer = self.patch(location, source, offset, end, cut_after=cuts.pop(offset, None))
            if answer is None or answer.status in (0, 409, 423):
                if answer is not None:
                    time.sleep(0.5)  # the cut request still holds the upload for a moment
                offset = self.wait_for_offset(location)
                resumed += 1
                continue
            assert answer.status == 204, (answer.status, answer.body[:500])
            offset = int(answer.headers["upload-offset"])
        return resumed

    def wait_for_offset(self, location: str) -> int:
        # After a cut, the node that had the PATCH notices the reset, keeps what it sealed and lets go.
        # Until then HEAD may report an older offset; a PATCH there answers 409 or 423, and we ask again.
        return self.offset(location)


# --- gunicorn nodes and haproxy ----------------------------------------------------------------


def node_environment(extra: dict[str, str]) -> dict[str, str]:
    db = connection.settings_dict
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ECASE_", "PYTEST", "DJANGO_")) and k != "DATABASE_URL"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ecase.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            "ECASE_ENV": "development",
            "ECASE_BLOB_MASTER_KEYS": settings.ECASE_BLOB_MASTER_KEYS,
            "ECASE_PRIVATE_STORAGE": str(settings.ECASE_PRIVATE_STORAGE),
            "ECASE_BLOB_STORAGE": settings.ECASE_BLOB_STORAGE,
            "ECASE_LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    if settings.ECASE_BLOB_STORAGE == "s3":
        s3 = settings.ECASE_BLOB_S3
        env.update(
            {
                "ECASE_BLOB_S3_ENDPOINT": s3["endpoint_url"],
                "ECASE_BLOB_S3_BUCKET": s3["bucket_name"],
                "ECASE_BLOB_S3_ACCESS_KEY": s3["access_key"],
                "ECASE_BLOB_S3_SECRET_KEY": s3["secret_key"],
            }
        )
    return env


@dataclass
class Process:
    process: subprocess.Popen
    port: int
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def _wait_http(port: int, log: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"not ready in {timeout} s: {log.read_text()[-3000:]}")


def start_node(directory: Path, name: str, env: dict[str, str]) -> Process:
    """One web node: gunicorn with threads (a sync worker would be killed during a long PATCH)."""
    (port,) = free_ports(1)
    log = directory / f"{name}.log"
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "ecase.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        "--workers=1",
        "--worker-class=gthread",
        "--threads=4",
        "--timeout=300",
        f"--name={name}",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    _wait_http(port, log, process)
    return Process(process, port, log)


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or (os.path.exists("/usr/sbin/haproxy") and "/usr/sbin/haproxy") or None


def start_haproxy(directory: Path, nodes: list[Process]) -> Process:
    """haproxy round-robin over ``nodes``, no stickiness: consecutive requests go to alternate nodes."""
    (port,) = free_ports(1)
    config = directory / "haproxy.cfg"
    servers = "\n".join(f"    server node{i} 127.0.0.1:{node.port}" for i, node in enumerate(nodes, start=1))
    config.write_text(
        f"""global
    maxconn 256
defaults
    mode http
    timeout connect 5s
    timeout client 600s
    timeout server 600s
    option http-server-close
frontend web
    bind 127.0.0.1:{port}
    # Which node answered, for the test (a real deployment would not tell).
    http-response set-header X-Node %s
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /healthz
{servers}
"""
    )
    log = directory / "haproxy.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [haproxy_binary(), "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    _wait_http(port, log, process)
    return Process(process, port, log)
