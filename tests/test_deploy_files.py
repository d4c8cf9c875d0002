"""The deployment files describe the stack the docs promise (issues #19 and #20).

No Docker here: docker-compose.yml and the proxy configurations are read as data and their wiring
checked — two web nodes behind the balancer with the same view of PostgreSQL, Redis and the object
store; the `ha` profile's Patroni cluster, the same as bin/failover_drill.py's; body limits that
agree from nginx through haproxy to the app. haproxy itself checks its files where it is installed.
"""

from __future__ import annotations

import importlib.util
import re
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
WEB_NODES = ("web1", "web2")
HA = {"etcd", "pg1", "pg2", "pg"}
SHARED = ("DATABASE_URL", "REDIS_URL", "ECASE_BLOB_STORAGE", "ECASE_BLOB_MASTER_KEYS", "ECASE_SECRET_KEY")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}``, defaults nested."""
    pattern = re.compile(r"\$\{(\w+)(?:(:-|:\?)((?:[^{}]|\{[^{}]*\})*))?\}")
    while True:
        match = pattern.search(text)
        if not match:
            return text
        name, kind, rest = match.groups()
        if env.get(name):
            value = env[name]
        elif kind == ":-":
            value = interpolate(rest, env)
        elif kind == ":?":
            raise KeyError(f"{name}: {rest}")
        else:
            value = ""
        text = text[: match.start()] + value + text[match.end() :]


ENV = {
    name: "x"
    for name in re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text())
    if name != "ECASE_DB_HOST"
}


def environment(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in SERVICES[service].get("environment", {}).items()}


def haproxy_servers(config: str) -> list[tuple[str, str, str]]:
    """(name, address, the rest) of every ``server`` line."""
    return [
        (m.group(1), m.group(2), m.group(3))
        for m in re.finditer(r"^\s*server\s+(\S+)\s+(\S+)(.*)$", config, re.MULTILINE)
    ]


def nginx_limits(config: str) -> dict[str, int]:
    """client_max_body_size per location ("" for the server's own), in bytes."""
    units = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
    limits, location = {}, ""
    for line in config.splitlines():
        if m := re.match(r"\s*location\s+(.+?)\s*\{", line):
            location = m.group(1)
        elif re.match(r"\s*\}", line):
            location = ""
        elif m := re.match(r"\s*client_max_body_size\s+(\d+)([kmg]?);", line):
            limits[location] = int(m.group(1)) * units[m.group(2)]
    return limits


def drill():
    spec = importlib.util.spec_from_file_location("failover_drill", ROOT / "bin" / "failover_drill.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- two web nodes behind the balancer ---------------------------------------------------------


def test_the_web_nodes_gunicorn_runs_threads_on_every_interface():
    # Threads: a sync worker would be killed after its timeout in the middle of a long resumable
    # upload PATCH. The file is what docker-compose and bench/load_bench.py both run.
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert config["worker_class"] == "gthread" and config["wsgi_app"] == "ecase.wsgi:application"
    assert config["bind"] == "0.0.0.0:8000" and config["timeout"] >= 300
    assert config["workers"] == config["WORKERS"] >= 2 and config["threads"] == config["THREADS"] >= 2


def test_two_threaded_web_nodes_share_the_database_redis_and_the_object_store():
    for node in WEB_NODES:
        command = SERVICES[node]["command"]
        assert command.split() == ["gunicorn", "-c", "deploy/gunicorn.conf.py"], command
        assert "ports" not in SERVICES[node]  # reached only through the balancer
        assert SERVICES[node]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert environment("web1") == environment("web2")
    env = environment("web1")
    assert env["ECASE_BLOB_STORAGE"] == "s3" and env["ECASE_BLOB_S3_ENDPOINT"] == "http://s3:8333"
    assert "s3" in SERVICES and "8333" in SERVICES["s3"]["command"]
    assert interpolate(env["REDIS_URL"], ENV) == "redis://redis:6379/0"
    # The worker and the migration job see the same database, broker, store and keys.
    for other in ("worker", "migrate"):
        assert {k: environment(other)[k] for k in SHARED} == {k: env[k] for k in SHARED}
    # One beat in the whole stack: a second would run every periodic task twice.
    assert [name for name, service in SERVICES.items() if "--beat" in str(service.get("command", ""))] == ["worker"]
    # Migrations and collectstatic run once, not on each node at the same time.
    assert "migrate" in SERVICES["migrate"]["command"] and "collectstatic" in SERVICES["migrate"]["command"]
    assert not any("migrate" in SERVICES[node]["command"] for node in WEB_NODES)


def test_the_balancer_names_both_nodes_and_nginx_sends_everything_to_it():
    balancer = SERVICES["balancer"]
    assert "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in balancer["volumes"]
    config = (DEPLOY / "haproxy.cfg").read_text()
    servers = haproxy_servers(config)
    assert {(name, address) for name, address, _ in servers} == {(n, f"{n}:8000") for n in WEB_NODES}
    assert all("check" in rest.split() for _, _, rest in servers)
    # Each node listens where the balancer looks (deploy/gunicorn.conf.py binds 0.0.0.0:8000, the
    # test above), on the port it exposes.
    for node in WEB_NODES:
        assert SERVICES[node]["expose"] == ["8000"]
    assert re.search(r"^\s*balance roundrobin$", config, re.MULTILINE)
    # No stickiness, and no second X-Forwarded-For hop (the app trusts exactly one appending proxy).
    assert not re.search(r"^\s*(cookie|stick|option forwardfor)\b", config, re.MULTILINE)
    assert re.search(r"^\s*bind :8080$", config, re.MULTILINE) and balancer["expose"] == ["8080"]
    # The health check asks /healthz as the app accepts it: an allowed Host, forwarded https.
    assert "uri /healthz" in config and 'hdr Host "${ECASE_HEALTH_HOST}"' in config
    assert "ECASE_HEALTH_HOST" in balancer["environment"]

    nginx = (DEPLOY / "nginx.conf").read_text()
    assert re.search(r"upstream ecase_web \{\s*server balancer:8080;\s*\}", nginx)
    assert set(re.findall(r"proxy_pass (\S+);", nginx)) == {"http://ecase_web"}
    assert SERVICES["front"]["depends_on"] == ["balancer"]


def test_body_limits_agree_from_nginx_through_haproxy_to_the_app():
    env = {k: int(v) for k, v in environment("web1").items() if k.endswith("_BYTES")}
    assert env["ECASE_MAX_RESUMABLE_UPLOAD_BYTES"] == settings.ECASE_MAX_RESUMABLE_UPLOAD_BYTES == 20 * 1024**3
    limits = nginx_limits((DEPLOY / "nginx.conf").read_text())
    resumable = next(location for location in limits if "uploads" in location)
    assert limits[resumable] == env["ECASE_MAX_RESUMABLE_UPLOAD_BYTES"]
    assert re.search(resumable.split()[-1], "/evidence/uploads/0f8e6c1a-3b8e-4c7e-9a51-2d4e0c7b9f10/")
    # The multipart form and the verification page: the file plus room for the form around it.
    form = next(location for location in limits if "files/new" in location)
    verify = next(location for location in limits if "verify" in location)
    for location, limit in ((form, env["ECASE_MAX_UPLOAD_BYTES"]), (verify, env["ECASE_VERIFY_MAX_BYTES"])):
        assert limit + 64 * 1024 <= limits[location] <= limit + 2 * 1024**2, location
    assert limits[""] == env["ECASE_MAX_BODY_BYTES"]
    deny = re.search(r"req\.hdr_val\(content-length\) gt (\d+)", (DEPLOY / "haproxy.cfg").read_text())
    assert deny and int(deny.group(1)) == env["ECASE_MAX_RESUMABLE_UPLOAD_BYTES"]


# --- the `ha` profile: Patroni, etcd, a streaming standby, haproxy; the app through it ----------


def test_the_ha_profile_puts_patroni_etcd_and_haproxy_before_the_app():
    assert {name for name, service in SERVICES.items() if "profiles" in service} == HA
    assert all(SERVICES[name]["profiles"] == ["ha"] for name in HA)
    # Without the profile the app uses `db`; with ECASE_DB_HOST=pg (docs/OPERATIONS.md) it uses `pg`.
    url = environment("web1")["DATABASE_URL"]
    assert re.match(r"postgres://ecase:x@db:5432/ecase$", interpolate(url, ENV))
    assert re.match(r"postgres://ecase:x@pg:5432/ecase$", interpolate(url, {**ENV, "ECASE_DB_HOST": "pg"}))
    for dependency in ("db", "pg"):  # whichever of the two runs
        assert SERVICES["web1"]["depends_on"][dependency]["required"] is False

    assert SERVICES["pg"]["expose"] == ["5432"]
    assert "./deploy/haproxy-postgres.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in SERVICES["pg"]["volumes"]
    patroni = yaml.safe_load((DEPLOY / "patroni.yml").read_text())
    rest_port = patroni["restapi"]["listen"].rsplit(":", 1)[1]
    pg_port = patroni["postgresql"]["listen"].rsplit(":", 1)[1]
    servers = haproxy_servers((DEPLOY / "haproxy-postgres.cfg").read_text())
    assert [(name, address) for name, address, _ in servers] == [("pg1", f"pg1:{pg_port}"), ("pg2", f"pg2:{pg_port}")]
    assert all(f"check port {rest_port}" in rest for _, _, rest in servers)

    assert patroni["etcd3"]["hosts"] == "etcd:2379"
    assert "--advertise-client-urls=http://etcd:2379" in SERVICES["etcd"]["command"]
    dockerfile = (DEPLOY / "patroni.Dockerfile").read_text()
    assert "COPY patroni.yml /etc/patroni/patroni.yml" in dockerfile
    assert "COPY patroni-post-bootstrap.sh " + patroni["bootstrap"]["post_bootstrap"] in dockerfile
    names = set()
    for node in ("pg1", "pg2"):
        service = SERVICES[node]
        assert service["build"] == {"context": "deploy", "dockerfile": "patroni.Dockerfile"}
        env = environment(node)
        names.add(env["PATRONI_NAME"])
        assert env["PATRONI_RESTAPI_CONNECT_ADDRESS"] == f"{node}:{rest_port}"
        assert env["PATRONI_POSTGRESQL_CONNECT_ADDRESS"] == f"{node}:{pg_port}"
        # PGPASSWORD overrides primary_conninfo's passfile and silently breaks replication (issue #20).
        assert not any(name.startswith("PG") for name in env)
        assert env["ECASE_DB_PASSWORD"] == "${POSTGRES_PASSWORD}"
        assert service["depends_on"] == ["etcd"]
    assert names == {"pg1", "pg2"}
    # The app's role and database exist on the cluster, under the password DATABASE_URL carries.
    script = (DEPLOY / "patroni-post-bootstrap.sh").read_text()
    assert "CREATE ROLE ecase LOGIN PASSWORD :'password'" in script and "CREATE DATABASE ecase OWNER ecase" in script


def test_compose_and_the_failover_drill_run_the_same_patroni_cluster(tmp_path):
    """bin/failover_drill.py (its own CI step) takes the cluster's settings from deploy/patroni.yml."""
    shared = yaml.safe_load((DEPLOY / "patroni.yml").read_text())
    assert shared["bootstrap"]["dcs"]["synchronous_mode"] is True and shared["bootstrap"]["dcs"]["ttl"] == 10
    module = drill()
    for name in module.NODES:
        config = module.patroni_config(name, tmp_path)
        assert config["bootstrap"]["dcs"] == shared["bootstrap"]["dcs"]
        assert config["bootstrap"]["initdb"] == shared["bootstrap"]["initdb"]
        assert shared["postgresql"]["parameters"].items() <= config["postgresql"]["parameters"].items()
        assert config["postgresql"]["authentication"] == shared["postgresql"]["authentication"]
    # The drill's haproxy checks the nodes exactly as the `ha` profile's does.
    checks = re.compile(r"^\s*(option httpchk.*|http-check.*|default-server.*|mode .*|timeout .*)$", re.MULTILINE)
    ours = [
        line.replace(" resolvers docker init-addr libc,none", "")
        for line in checks.findall((DEPLOY / "haproxy-postgres.cfg").read_text())
    ]
    assert [line.strip() for line in ours] == [
        line.strip() for line in checks.findall(module.haproxy_config("127.0.0.1:1", ""))
    ]


@pytest.mark.skipif(not shutil.which("haproxy"), reason="haproxy is not installed (Debian: apt-get install haproxy)")
@pytest.mark.parametrize("name", ["haproxy.cfg", "haproxy-postgres.cfg"])
def test_haproxy_accepts_its_configurations(name):
    # The service names resolve only inside Compose; init-addr none lets haproxy start without them.
    checked = subprocess.run(
        ["haproxy", "-c", "-f", str(DEPLOY / name)],
        capture_output=True,
        text=True,
        env={"ECASE_HEALTH_HOST": "localhost", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Configuration file is valid" in checked.stdout + checked.stderr
