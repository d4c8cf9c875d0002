#!/usr/bin/env python3
"""The failover drill (issue #20): a database that survives losing its primary, with numbers.

    .venv/bin/python bin/failover_drill.py        (Debian: patroni, etcd-server, haproxy)

On this machine, in a work directory, on ports of its own: one etcd; two PostgreSQL nodes run by
Patroni (synchronous replication: a commit is acknowledged only once the standby holds it);
haproxy in front, sending connections to whichever node Patroni's REST API calls primary; gunicorn
serving the app with DATABASE_URL pointing at haproxy. Then:

1. writers POST acts through the API (``/api/v1/cases/{id}/acts/``), each with its own
   ``Idempotency-Key``, retrying the same key until they get an answer (docs/API.md);
2. the primary node is killed (SIGKILL of Patroni and PostgreSQL: the machine is gone);
3. Patroni promotes the standby, haproxy follows, the writers go on;
4. checked: writes resumed within 30 s; every write answered 2xx is in the database, and none is
   there twice; ``verify_audit`` passes on the new primary; the old primary rejoins as a standby.

Prints the figures (time to recover, errors seen by the writers, the longest gap between
answered writes, time for the old primary to rejoin) and exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import yaml  # PyYAML, a dependency of drf-spectacular

BASE_DIR = Path(__file__).resolve().parent.parent
PORTS = {"etcd": 23790, "etcd_peer": 23800, "haproxy": 15000, "web": 18100}
NODES = {"node1": {"pg": 15433, "rest": 18008}, "node2": {"pg": 15434, "rest": 18009}}
RESUME_LIMIT = 30.0  # seconds from the kill to the next answered write (issue #20)
DATABASE = "ecase_failover"
# The cluster's Patroni settings, shared with the `ha` profile of docker-compose.yml.
PATRONI_YAML = BASE_DIR / "deploy" / "patroni.yml"


def pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql")
    return versions[-1]


def get(url: str, timeout: float = 1.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def wait_for(what: str, test, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if test():
            return time.monotonic() - started
        time.sleep(0.2)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


class Stack:
    def __init__(self, work: Path):
        self.work = work
        self.processes: dict[str, subprocess.Popen] = {}
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self, name: str, args: list[str], *, env: dict | None = None, user: bool = False) -> None:
        log = open(self.work / f"{name}.log", "ab")  # the child's; closed with this process
        self.processes[name] = subprocess.Popen(
            (self.as_postgres if user else []) + args,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.work,
            start_new_session=True,  # its own process group: killed as a whole, and by this drill only
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.get(name)
        if process and process.poll() is None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):
            self.kill(name, signal.SIGTERM)
        # runuser kills Patroni before it has stopped its PostgreSQL: no server may outlive the drill
        # (the next run's node would find the port taken and talk to a server whose files are gone).
        for name in NODES:
            for pid in postmaster_pids(self.work / name):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    # ----------------------------------------------------------------------------------------

    def etcd(self) -> None:
        peer, client = f"http://127.0.0.1:{PORTS['etcd_peer']}", f"http://127.0.0.1:{PORTS['etcd']}"
        args = ["etcd", "--name", "e1", "--data-dir", str(self.work / "etcd")]
        args += ["--listen-client-urls", client, "--advertise-client-urls", client]
        args += ["--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", f"e1={peer}"]
        self.start("etcd", args)
        wait_for("etcd", lambda: get(f"{client}/health")[0] == 200, 30)

    def patroni_config(self, name: str) -> Path:
        path = self.work / f"{name}.yml"
        path.write_text(json.dumps(patroni_config(name, self.work), indent=1))  # YAML is a superset of JSON
        return path

    def patroni(self, name: str) -> None:
        # No PGPASSWORD in Patroni's environment: it overrides the passfile of primary_conninfo and
        # silently breaks replication (issue #20).
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        self.start(name, ["patroni", str(self.patroni_config(name))], env=env, user=True)

    def haproxy(self) -> None:
        servers = "\n".join(
            f"  server {name} 127.0.0.1:{node['pg']} maxconn 100 check port {node['rest']}"
            for name, node in NODES.items()
        )
        (self.work / "haproxy.cfg").write_text(haproxy_config(f"127.0.0.1:{PORTS['haproxy']}", servers))
        self.start("haproxy", ["haproxy", "-f", str(self.work / "haproxy.cfg"), "-db"])


def patroni_config(name: str, work: Path) -> dict:
    """Node ``name``'s Patroni configuration: deploy/patroni.yml's cluster, on this machine's ports.

    From the shared file (the `ha` profile of docker-compose.yml runs it as it is): the scope, the
    whole ``bootstrap`` section but its pg_hba (the DCS timings, synchronous mode, pg_rewind, initdb)
    and the server parameters. Here: addresses on 127.0.0.1, paths in the work directory, the local
    PostgreSQL binaries, trust instead of passwords, no post_bootstrap (the drill makes its database).
    """
    shared = yaml.safe_load(PATRONI_YAML.read_text())
    node = NODES[name]
    bootstrap = {k: v for k, v in shared["bootstrap"].items() if k not in ("pg_hba", "post_bootstrap")}
    return {
        "scope": f"{shared['scope']}-failover",
        "name": name,
        "restapi": {"listen": f"127.0.0.1:{node['rest']}", "connect_address": f"127.0.0.1:{node['rest']}"},
        "etcd3": {"hosts": f"127.0.0.1:{PORTS['etcd']}"},
        "bootstrap": {
            **bootstrap,
            "pg_hba": [
                "local all all trust",
                "host replication replicator 127.0.0.1/32 trust",
                "host all all 127.0.0.1/32 trust",
            ],
        },
        "postgresql": {
            "listen": f"127.0.0.1:{node['pg']}",
            "connect_address": f"127.0.0.1:{node['pg']}",
            "data_dir": str(work / name),
            "bin_dir": str(pg_bin()),
            "pgpass": str(work / f"{name}.pgpass"),
            "authentication": {"superuser": {"username": "postgres"}, "replication": {"username": "replicator"}},
            "parameters": {**shared["postgresql"]["parameters"], "unix_socket_directories": str(work)},
        },
    }


def haproxy_config(bind: str, servers: str) -> str:
    """haproxy before the cluster: as deploy/haproxy-postgres.cfg, without Docker's resolver."""
    return f"""global
  maxconn 200
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 1s
listen primary
  bind {bind}
  option httpchk OPTIONS /primary
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
{servers}
"""


def leader() -> str | None:
    for name, node in NODES.items():
        if get(f"http://127.0.0.1:{node['rest']}/primary")[0] == 200:
            return name
    return None


def streaming_sync_standby(name: str) -> bool:
    status, body = get(f"http://127.0.0.1:{NODES[name]['rest']}/sync")
    return status == 200


def postmaster_pids(data_dir: Path) -> list[int]:
    """The postmaster of ``data_dir`` and its children (read from /proc: only this drill's server)."""
    try:
        master = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


class Writers:
    """Threads that draft acts through the API, retrying each with its Idempotency-Key until answered."""

    def __init__(self, base: str, token: str, case_id: int, threads: int):
        self.base, self.token, self.case_id, self.threads = base, token, case_id, threads
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answered: list[tuple[float, str, int]] = []  # (when, idempotency key, act id)
        self.errors: list[tuple[float, str]] = []
        self.replayed = 0

    def _post(self, key: str, n: int) -> tuple[int, dict, dict]:
        body = json.dumps({"act_type": "failover_note", "language": "ru", "place": "Астана", "body": f"запись {n}"})
        request = urllib.request.Request(
            f"{self.base}/api/v1/cases/{self.case_id}/acts/",
            data=body.encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read()), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, {}, dict(error.headers)
        except (urllib.error.URLError, OSError) as error:
            return 0, {"error": str(error)}, {}

    def _run(self, worker: int) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            key = f"failover-{worker}-{n}-{uuid.uuid4().hex[:8]}"
            while not self.stop.is_set():
                status, body, headers = self._post(key, n)
                now = time.monotonic()
                with self.lock:
                    if 200 <= status < 300:
                        self.answered.append((now, key, body["id"]))
                        self.replayed += headers.get("Idempotent-Replayed") == "true"
                        break
                    self.errors.append((now, f"{status or 'no answer'}"))
                time.sleep(0.2)  # the same key again: the write is made once, whatever happened before

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.threads)]
        for thread in threads:
            thread.start()
        return threads


SETUP = """
import io, json
from django.core.management import call_command
from accounts.api.tokens import token_issue
from cases.choices import CaseStatus, Gravity
from cases.models import Case, ProceduralActType
call_command("seed_demo", stdout=io.StringIO())
ProceduralActType.objects.create(code="failover_note", name_ru="Справка", name_kk="Анықтама", kind="other")
case = (
    Case.objects.filter(gravity__lt=Gravity.GRAVE, status=CaseStatus.INVESTIGATING)
    .exclude(lead_investigator=None).select_related("lead_investigator").order_by("pk").first()
)
_row, raw = token_issue(
    user=case.lead_investigator, name="failover drill", actor=None, actor_label="failover drill", can_write=True
)
print(json.dumps({"case": case.pk, "token": raw}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--before", type=float, default=5.0, help="seconds of writes before the kill")
    parser.add_argument("--after", type=float, default=40.0, help="seconds of writes after the kill")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    options = parser.parse_args()
    for tool in ("patroni", "etcd", "haproxy"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing (Debian: apt-get install patroni etcd-server haproxy)")
    import socket

    for port in [*PORTS.values(), *(p for node in NODES.values() for p in node.values())]:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(f"port {port} is taken: is another failover drill running?")
    work = Path(tempfile.mkdtemp(prefix="ecase-failover-"))
    work.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(work, "postgres", "postgres")
    stack, figures, failures = Stack(work), {}, []
    app_env = {k: v for k, v in os.environ.items() if not k.startswith("ECASE_") and k != "REDIS_URL"}
    app_env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{PORTS['haproxy']}/{DATABASE}",
        ECASE_VAR_DIR=str(work / "var"),
        PYTHONUNBUFFERED="1",
    )
    started = time.monotonic()
    try:
        stack.etcd()
        stack.patroni("node1")
        figures["primary ready"] = wait_for("the first primary", lambda: leader() == "node1", 90)
        stack.patroni("node2")
        figures["standby streaming (synchronous)"] = wait_for(
            "the synchronous standby", lambda: streaming_sync_standby("node2"), 120
        )
        stack.haproxy()
        psql = [str(pg_bin() / "psql"), "-h", "127.0.0.1", "-p", str(PORTS["haproxy"]), "-U", "postgres", "-qAt"]
        # haproxy takes every server for up until its first checks (fall 2 × 500 ms) say otherwise: wait for
        # them, then for the primary through it.
        time.sleep(2)
        wait_for(
            "the primary through haproxy",
            lambda: (
                subprocess.run(
                    [*psql, "-c", "select pg_is_in_recovery()"], capture_output=True, text=True
                ).stdout.strip()
                == "f"
            ),
            30,
        )
        subprocess.run([*psql, "-c", f"CREATE DATABASE {DATABASE}"], check=True)
        print("migrate and seed through haproxy …", flush=True)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=app_env, check=True
        )
        setup = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", SETUP],
            cwd=BASE_DIR,
            env=app_env,
            check=True,
            capture_output=True,
            text=True,
        )
        data = json.loads(setup.stdout.strip().splitlines()[-1])
        stack.start(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--chdir",
                str(BASE_DIR),
                "ecase.wsgi",
                "-b",
                f"127.0.0.1:{PORTS['web']}",
                "-w",
                "2",
                "--timeout",
                "60",
            ],
            env={**app_env, "DJANGO_SETTINGS_MODULE": "ecase.settings"},
        )
        base = f"http://127.0.0.1:{PORTS['web']}"
        wait_for("gunicorn", lambda: get(f"{base}/api/v1/me/")[0] in (200, 401), 60)

        writers = Writers(base, data["token"], data["case"], options.writers)
        threads = writers.start()
        time.sleep(options.before)
        victim = leader()
        if victim is None:
            raise SystemExit("no primary to kill: Patroni's REST API names none")
        before = len(writers.answered)
        print(f"killing the primary {victim} after {before} answered writes …", flush=True)
        pids = postmaster_pids(work / victim)
        killed_at = time.monotonic()
        stack.kill(victim)  # Patroni, SIGKILL
        for pid in pids:  # and its PostgreSQL, as a machine that lost power
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        survivor = next(name for name in NODES if name != victim)
        figures["new primary promoted"] = wait_for("the promotion", lambda: leader() == survivor, 60)
        wait_for(
            "the first answered write after the kill",
            lambda: any(when > killed_at for when, _, _ in writers.answered),
            RESUME_LIMIT + 30,
        )
        first_after = min(when for when, _, _ in writers.answered if when > killed_at)
        figures["writes resumed after the kill"] = first_after - killed_at
        time.sleep(max(0.0, options.after - (time.monotonic() - killed_at)))
        writers.stop.set()
        for thread in threads:
            thread.join(timeout=40)

        print("the old primary rejoins …", flush=True)
        stack.patroni(victim)
        figures["old primary rejoined as standby"] = wait_for(
            "the old primary as a standby",
            lambda: get(f"http://127.0.0.1:{NODES[victim]['rest']}/replica")[0] == 200,
            120,
        )

        answered_ids = [act for _, _, act in writers.answered]
        keys = [key for _, key, _ in writers.answered]
        check = subprocess.run(
            [
                *psql,
                "-d",
                DATABASE,
                "-c",
                "select coalesce(json_agg(id), '[]') from cases_proceduralact where act_type_id = "
                "(select id from cases_proceduralacttype where code = 'failover_note')",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        stored = json.loads(check.stdout.strip())
        missing = sorted(set(answered_ids) - set(stored))
        extra = len(stored) - len(set(answered_ids))
        audit = subprocess.run(
            [sys.executable, "manage.py", "verify_audit"], cwd=BASE_DIR, env=app_env, capture_output=True, text=True
        )
        gaps = [b - a for (a, _, _), (b, _, _) in zip(writers.answered, writers.answered[1:])]
        errors_after_kill = [e for when, e in writers.errors if when >= killed_at]
        figures_counts = {
            "writes answered 2xx": len(answered_ids),
            "of them replayed (Idempotency-Key)": writers.replayed,
            "failed attempts (each retried with its key)": len(writers.errors),
            "of them after the kill": len(errors_after_kill),
            "longest gap between answered writes (s)": round(max(gaps) if gaps else 0.0, 1),
            "answered writes missing afterwards": len(missing),
            "acts stored more than once / unanswered": extra,
        }
        if figures["writes resumed after the kill"] > RESUME_LIMIT:
            failures.append(f"writes resumed only after {figures['writes resumed after the kill']:.1f} s")
        if missing:
            failures.append(f"{len(missing)} answered write(s) missing: {missing[:10]}")
        if len(keys) != len(set(keys)):
            failures.append("a key answered twice")
        if audit.returncode != 0:
            failures.append(f"verify_audit: {audit.stderr.strip()[:300]}")
        print()
        print("failover drill: Patroni (etcd) + synchronous standby, haproxy in front, gunicorn through it")
        for name, seconds in figures.items():
            print(f"  {name:<52} {seconds:6.1f} s")
        for name, value in figures_counts.items():
            print(f"  {name:<52} {value:>6}")
        print(f"  {'verify_audit on the new primary':<52} {'OK' if audit.returncode == 0 else 'FAIL':>6}")
        print(f"  {'in all':<52} {time.monotonic() - started:6.1f} s")
    finally:
        stack.stop_all()
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}")
    if failures:
        print("\nFAILOVER DRILL FAILED:\n  " + "\n  ".join(failures))
        return 1
    print(f"\nfailover drill: writes resumed within {RESUME_LIMIT:.0f} s, no answered write lost, the trail intact")
    return 0


if __name__ == "__main__":
    sys.exit(main())
