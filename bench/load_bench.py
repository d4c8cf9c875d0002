#!/usr/bin/env python
"""Load benchmark: simulated users on gunicorn, the daily mix beside a trivial page (issue #15).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecase REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/load_bench.py [--users 50] [--seconds 300] [--configs 2x4,3x2] [--compare-seconds 90]

On the cases bench/run.py seeded into ``ecase_bench``: signs in (sessions made by Django's own
machinery, second factor verified) investigators, prosecutors and supervisors of districts and
regions, starts gunicorn as docker-compose does (deploy/gunicorn.conf.py, ``ECASE_ENV=production``,
static files collected and served by whitenoise, Redis for the cache), and runs locust headless
(bench/locustfile.py) twice against it with the same number of users and no think time: first the
trivial page (``/healthz``), then the mix (case list, case page, searches by surname, IIN and plot
word, act drafting form). The configuration file's own processes × threads run ``--seconds``;
each other ``--configs`` entry (processes x threads) runs ``--compare-seconds``, trivial page and
mix on the same server, so the choice in deploy/gunicorn.conf.py rests on ratios measured in one
run. Writes bench/RESULTS_LOAD.md and refreshes bench/RESULTS.md. Locust runs on the same machine
and takes its share of the cores in every run.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import BENCH_DB, DATA, bench_url  # noqa: E402

OUTPUT = ROOT / "bench" / "RESULTS_LOAD.md"
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def profiles(per_role: int) -> dict:
    """Signed-in sessions with what each user can open: their newest cases, IINs in them, an act form."""
    import random

    from django.conf import settings
    from django.urls import reverse

    from accounts.choices import Role
    from accounts.models import User
    from bench.search_bench import PLOT_WORDS, surnames
    from cases.access.grave import without_grave
    from cases.models import Case, Person, ProceduralActType
    from tests.auth import verified_client

    rng = random.Random(20261207)
    act_type = ProceduralActType.objects.filter(is_active=True, code="interrogation_witness").first()
    people = []
    for role, prefix in (
        (Role.INVESTIGATOR, "sled."),
        (Role.PROSECUTOR, "prok."),
        (Role.SUPERVISOR, "nach."),
    ):
        candidates = list(
            User.objects.filter(role=role, username__startswith=prefix, is_active=True).order_by("?")[:200]
        )
        for user in candidates:
            if len([p for p in people if p["role"] == role]) >= per_role:
                break
            # No grave cases: the runs outlast the 15 minutes a second factor opens them for
            # (ECASE_GRAVE_CASE_OTP_MINUTES), after which they ask for the code again.
            mine = without_grave(Case.objects.restrict(user))
            cases = list(mine.order_by("-registered_at", "-pk").values_list("pk", flat=True)[:20])
            iins = list(Person.objects.filter(case_id__in=cases, iin__isnull=False).values_list("iin", flat=True)[:10])
            if len(cases) < 3 or not iins:
                continue
            own = without_grave(Case.objects.restrict(user, "change")).values_list("pk", flat=True).first()
            client = verified_client(user)
            people.append(
                {
                    "username": user.username,
                    "role": role,
                    "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "cases": cases,
                    "iins": iins,
                    "act_form": f"{reverse('cases:act-create', args=[own])}?act_type={act_type.pk}"
                    if own and act_type
                    else "",
                }
            )
    return {
        "cookie": settings.SESSION_COOKIE_NAME,
        "users": people,
        "surnames": surnames(rng),
        "plot_words": list(PLOT_WORDS),
    }


def server_env(port: int) -> dict[str, str]:
    """docker-compose's environment for the web service, with this machine's services and the bench
    database's own keys (its sessions are signed with them)."""
    from django.conf import settings

    keys = settings.ECASE_BLOB_MASTER_KEYS
    if not keys:
        key_file = Path(settings.ECASE_BLOB_MASTER_KEY_FILE)
        keys = key_file.read_text().strip() if key_file.exists() else ""
    if not keys:
        keys = "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return {
        **os.environ,
        "ECASE_ENV": "production",
        "ECASE_DEBUG": "0",
        "ECASE_SECRET_KEY": settings.SECRET_KEY,
        "ECASE_ALLOWED_HOSTS": "127.0.0.1",
        "ECASE_PUBLIC_URL": "https://ecase.example.kz",
        "ECASE_SIGNING_PASSPHRASE": settings.ECASE_SIGNING_PASSPHRASE or secrets.token_urlsafe(24),
        "ECASE_EXPORT_SIGNING_PASSPHRASE": settings.ECASE_EXPORT_SIGNING_PASSPHRASE or secrets.token_urlsafe(24),
        "ECASE_BLOB_MASTER_KEYS": keys,
        "ECASE_MAX_UPLOAD_BYTES": "209715200",
        "ECASE_VERIFY_MAX_BYTES": "20971520",
        "ECASE_MAX_BODY_BYTES": "1048576",
    }


def configured_processes() -> tuple[int, int]:
    """(processes, threads) of deploy/gunicorn.conf.py as docker-compose runs it (no overrides)."""
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    return config["WORKERS"], config["THREADS"]


def start_gunicorn(env: dict[str, str], port: int, shape: tuple[int, int], log: Path) -> subprocess.Popen:
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    workers, threads = shape
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**env, "GUNICORN_WORKERS": str(workers), "GUNICORN_THREADS": str(threads)},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not listen in time")


def locust(user_class: str, port: int, users: int, seconds: int, profiles_file: Path, out: Path) -> list[dict]:
    out.mkdir(exist_ok=True)
    prefix = out / user_class
    subprocess.run(
        [
            str(VENV_BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 5)),
            "--run-time",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            user_class,
        ],
        cwd=ROOT,
        env={**os.environ, "ECASE_LOAD_PROFILES": str(profiles_file)},
        check=False,  # locust exits 1 when a request failed: the failures are in the table
    )
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def warm(port: int, profiles_data: dict) -> None:
    """One request per user, so that no timed request pays a worker's first import or connection."""
    import urllib.request

    for person in profiles_data["users"]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/cases/",
            headers={"X-Forwarded-Proto": "https", "Cookie": f"{profiles_data['cookie']}={person['session']}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            if b'name="q"' not in response.read():
                raise RuntimeError(f"{person['username']}: the session did not reach the case list")


def row(stats: dict) -> tuple[str, int, int, float, float, float, float]:
    return (
        stats["Name"],
        int(stats["Request Count"]),
        int(stats["Failure Count"]),
        float(stats["Requests/s"]),
        float(stats["50%"]),
        float(stats["95%"]),
        float(stats["99%"]),
    )


def shape_text(shape: tuple[int, int]) -> str:
    return f"{shape[0]} × {shape[1]}"


def total(stats: list[dict]) -> tuple[str, int, int, float, float, float, float]:
    return next(row(s) for s in stats if s["Name"] == "Aggregated")


def report(args, runs: list[Run], profiles_data, total_cases) -> str:
    """The chosen configuration's requests in detail, then every configuration's ratio."""
    from django.utils import timezone

    chosen = runs[0]
    roles: dict[str, int] = {}
    for person in profiles_data["users"]:
        roles[person["role"]] = roles.get(person["role"], 0) + 1
    lines = [
        "# Load: the daily mix on gunicorn beside a trivial page (issue #15)",
        "",
        f"`python bench/load_bench.py --users {args.users} --seconds {args.seconds} --configs "
        f"{','.join(f'{w}x{t}' for w, t in args.configs)} --compare-seconds {args.compare_seconds}` on "
        f"{timezone.now():%Y-%m-%d %H:%M} UTC against `{BENCH_DB}` ({total_cases:,} cases). gunicorn as "
        "docker-compose runs it (deploy/gunicorn.conf.py: gthread, "
        f"{shape_text(chosen.shape)} processes × threads), `ECASE_ENV=production`, whitenoise static files, Redis "
        "cache; no nginx in front (requests carry the proxy's `X-Forwarded-Proto`). "
        f"locust {args.users} users, no think time, after a warm-up request per session, on the same 2 shared "
        "cores as the server and PostgreSQL. Sessions: "
        + ", ".join(f"{n} {role}s" for role, n in roles.items())
        + ", each on its own newest cases.",
        "",
        f"## The configuration of deploy/gunicorn.conf.py ({shape_text(chosen.shape)}), {chosen.seconds} s per run",
        "",
        f"Load average before {chosen.load_before}, after {chosen.load_after}.",
        "",
        "| run | request | requests | failures | requests/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, stats in (("trivial page", chosen.trivial), ("mix", chosen.mix), ("signed-in floor", chosen.floor)):
        for s in stats:
            name, count, failures, rps, p50, p95, p99 = row(s)
            bold = "**" if name == "Aggregated" else ""
            lines.append(
                f"| {label} | {bold}{'all' if name == 'Aggregated' else name}{bold} | {count:,} | {failures:,} | "
                f"{rps:.1f} | {p50:.0f} | {p95:.0f} | {p99:.0f} |"
            )
    mix_total = total(chosen.mix)
    lines += [
        "",
        f"* **Mix throughput ÷ trivial page throughput: {chosen.ratio:.2f}×** (goal ≥ 0.4×); mix p95 "
        f"{mix_total[5]:.0f} ms (goal ≤ 300 ms); {mix_total[2]:,} failed requests (goal 0).",
        f"* With no think time the latency is mostly queueing: {args.users} users ÷ {mix_total[3]:.0f} requests/s "
        f"≈ {args.users / mix_total[3] * 1000 if mix_total[3] else 0:.0f} ms per request on average (Little's law).",
        *floor_lines(chosen, args),
        "",
        "## Processes × threads compared",
        "",
        "Each row: its own server, the trivial page then the mix, one after the other in this run.",
        "",
        "| processes × threads | seconds per run | trivial requests/s | mix requests/s | **mix ÷ trivial** "
        "| mix p50 ms | mix p95 ms | mix failures |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        mix = total(run.mix)
        lines.append(
            f"| {shape_text(run.shape)}{' (chosen)' if run is chosen else ''} | {run.seconds} | "
            f"{total(run.trivial)[3]:.1f} | {mix[3]:.1f} | **{run.ratio:.2f}×** | {mix[4]:.0f} | {mix[5]:.0f} | "
            f"{mix[2]:,} |"
        )
    lines.append("")
    return "\n".join(lines)


def floor_lines(run: Run, args) -> list[str]:
    """How far the mix is from the cheapest signed-in page, and that page from the trivial one."""
    if not run.floor:
        return []
    floor, trivial, mix = total(run.floor)[3], total(run.trivial)[3], total(run.mix)[3]
    if not (floor and trivial):
        return []
    return [
        f"* The signed-in floor (`/accounts/sessions/`, {args.compare_seconds} s after the mix, same server): "
        f"{floor:.1f} requests/s = **{floor / trivial:.2f}× the trivial page**: reading the session, the user "
        f"and the second factor and rendering the smallest signed-in page already costs that much; "
        f"the mix runs at **{mix / floor:.2f}× the floor**.",
    ]


@dataclass
class Run:
    shape: tuple[int, int]
    seconds: int
    trivial: list[dict]
    mix: list[dict]
    load_before: str
    load_after: str
    floor: list[dict]  # the signed-in floor page (the chosen shape only)

    @property
    def ratio(self) -> float:
        trivial = total(self.trivial)[3]
        return total(self.mix)[3] / trivial if trivial else 0.0


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(shape, seconds, args, data, profiles_file: Path, work: Path, *, with_floor: bool = False) -> Run:
    """The trivial page, then the mix; with ``with_floor``, then the signed-in floor page for ``--compare-seconds``."""
    port = free_port()
    name = f"{shape[0]}x{shape[1]}"
    server = start_gunicorn(server_env(port), port, shape, work / f"gunicorn-{name}.log")
    try:
        warm(port, data)
        before = load_average()
        trivial = locust("TrivialUser", port, args.users, seconds, profiles_file, work / name)
        mix = locust("CaseWorker", port, args.users, seconds, profiles_file, work / name)
        floor = (
            locust("SignedInFloorUser", port, args.users, args.compare_seconds, profiles_file, work / name)
            if with_floor
            else []
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    return Run(shape, seconds, trivial, mix, before, load_average(), floor)


def shapes(text: str) -> list[tuple[int, int]]:
    """ "2x4,3x2" → [(2, 4), (3, 2)]: gunicorn processes × threads per process."""
    result = []
    for item in filter(None, text.split(",")):
        workers, _, threads = item.partition("x")
        result.append((int(workers), int(threads or 1)))
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=300, help="per run of the configured shape (issue: 300)")
    parser.add_argument("--configs", type=shapes, default=[], help="other processes x threads to compare, e.g. 3x2,4x4")
    parser.add_argument("--compare-seconds", type=int, default=90, help="per run of each compared shape")
    parser.add_argument("--per-role", type=int, default=12, help="signed-in users per role")
    args = parser.parse_args(argv)
    os.environ["DATABASE_URL"] = bench_url(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/ecase")
    if not os.environ.get("REDIS_URL"):
        sys.exit("set REDIS_URL: production settings need Redis")
    os.environ.setdefault("ECASE_VAR_DIR", str(DATA / "var"))
    os.environ.setdefault("ECASE_PRIVATE_STORAGE", str(DATA / "private"))
    os.environ.setdefault("ECASE_DEBUG", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecase.settings")
    import django

    django.setup()
    from django.db import connection

    from bench import results
    from bench.run import migrate_reused

    migrate_reused()
    data = profiles(args.per_role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        total_cases = cursor.fetchone()[0]
    connection.close()
    work = Path(tempfile.mkdtemp(prefix="ecase-load-bench-"))
    profiles_file = work / "profiles.json"
    profiles_file.write_text(json.dumps(data))
    chosen = configured_processes()
    args.configs = [shape for shape in args.configs if shape != chosen]
    runs = [measure(chosen, args.seconds, args, data, profiles_file, work, with_floor=True)]
    runs += [measure(shape, args.compare_seconds, args, data, profiles_file, work) for shape in args.configs]
    text = report(args, runs, data, total_cases)
    OUTPUT.write_text(text)
    results.refresh()
    print(text)
    print(f"(gunicorn logs and locust CSV files in {work})", file=sys.stderr)


if __name__ == "__main__":
    main()
