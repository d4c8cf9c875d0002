"""Real Celery worker processes for the end-to-end and fault tests (tests/test_signing_worker.py).

Each worker is ``python -m celery -A ecase worker`` in its own process group, pointed at
pytest-django's test database (DATABASE_URL with the test database's name) and at a queue
of its own on the real Redis, so parallel runs and other test suites never share messages.
The fixture stops every worker it started, also when the test fails, and removes the queue's
keys (and only those) from Redis.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """DATABASE_URL of the database this test runs on (pytest-django's test_… database)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(condition, *, timeout: float, interval: float = 0.1, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Worker:
    def __init__(self, *, env: dict, queue: str, log: Path, concurrency: int, beat: bool):
        self.log = log
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ecase",
            "worker",
            "-Q",
            queue,
            "-c",
            str(concurrency),
            "-P",
            "prefork",
            "-n",
            f"{queue}-{uuid.uuid4().hex[:6]}@%h",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        if beat:
            command += ["-B", "-s", str(log.with_suffix(".beat-schedule"))]
        self._log_file = open(log, "ab")
        # A process group of its own: the worker, its pool children and its beat end together.
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 90) -> Worker:
        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited with {self.process.returncode}:\n{self.output()[-3000:]}")
            return " ready." in self.output()

        wait_for(ready, timeout=timeout, what="the worker to be ready")
        return self

    def pool_children(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill(self) -> None:
        """SIGKILL the whole group at once: a crash, not a shutdown."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        else:  # the main process is gone; make sure nothing of its group is left
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._log_file.close()


def forget_queue(redis_url: str, queue: str) -> None:
    """Delete this test's queue from Redis: its lists, its binding, its unacknowledged messages."""
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
        keys = [
            queue,
            f"_kombu.binding.{queue}",
            f"_kombu.binding_permanent.{queue}",
            *client.keys(f"{queue}\x06\x16*"),
        ]
        client.delete(*keys)
        for tag, payload in client.hgetall("unacked").items():
            if json.loads(payload)[2] == queue:  # [message, exchange, routing key]
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
    except redis.RedisError:
        pass  # the throwaway server is gone already


class Workers:
    """Starts workers for one test, all on the test's own queue; ``stop_all`` ends them."""

    def __init__(self, settings, tmp_path: Path):
        self.queue = f"ecase-test-{uuid.uuid4().hex[:10]}"
        settings.ECASE_RENDER_QUEUE = self.queue  # where this process publishes
        self.settings, self.tmp_path, self.started, self.redis_urls = settings, tmp_path, [], set()

    def env(self, redis_url: str | None = None, **extra: str) -> dict:
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": test_database_url(),
                "REDIS_URL": redis_url or self.settings.CELERY_BROKER_URL,
                "ECASE_RENDER_QUEUE": self.queue,
                "ECASE_PRIVATE_STORAGE": str(self.settings.ECASE_PRIVATE_STORAGE),
                "ECASE_SIGNING_PASSPHRASE": self.settings.ECASE_SIGNING_PASSPHRASE,
                "ECASE_PUBLIC_URL": self.settings.ECASE_PUBLIC_URL,
                **extra,
            }
        )
        return env

    def start(self, *, concurrency: int = 1, beat: bool = False, redis_url: str | None = None, **extra: str) -> Worker:
        env = self.env(redis_url, **extra)
        self.redis_urls.add(env["REDIS_URL"])
        worker = Worker(
            env=env,
            queue=self.queue,
            log=self.tmp_path / f"worker-{len(self.started)}.log",
            concurrency=concurrency,
            beat=beat,
        )
        self.started.append(worker)
        return worker

    def logs(self) -> str:
        return "\n".join(f"--- {w.log.name}\n{w.output()[-4000:]}" for w in self.started)

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()
        for url in self.redis_urls:
            forget_queue(url, self.queue)


@pytest.fixture
def workers(transactional_db, settings, tmp_path):
    """Worker processes for this test; stopped before the test database is flushed, failing or not."""
    pool = Workers(settings, tmp_path)
    yield pool
    pool.stop_all()
    print(pool.logs())  # pytest shows it only when the test failed


@contextmanager
def broker_at(app, url: str):
    """Make this process publish to ``url`` (the throwaway Redis of the broker-down test)."""

    def reconnect(to: str) -> None:
        # Celery caches its connection pool and the producer pool built on it; both follow the URL.
        app.conf.broker_url = to
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    reconnect(url)
    try:
        yield
    finally:
        reconnect(previous)


def free_port() -> int:
    """A TCP port the OS has just handed out and nobody listens on: never a fixed number, which a
    parallel run or another engineer's server may hold."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowawayRedis:
    """A redis-server of the test's own on a port the OS picked: the test may stop it and start it
    again on the same port; 6379 is never touched."""

    def __init__(self, tmp_path: Path, port: int | None = None):
        self.port, self.dir = port or free_port(), tmp_path
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> ThrowawayRedis:
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--dir",
                str(self.dir),
                "--pidfile",
                str(self.dir / f"redis-{self.port}.pid"),
            ],
            check=True,
            capture_output=True,
        )
        wait_for(self.alive, timeout=10, what=f"redis-server on port {self.port}")
        return self

    def alive(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.alive():
            subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True)
        wait_for(lambda: not self.alive(), timeout=10, what=f"redis-server on port {self.port} to stop")
