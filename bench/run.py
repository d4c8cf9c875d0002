#!/usr/bin/env python
"""The ecase benchmark: seed a separate database with N cases, measure, write bench/RESULTS.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecase python bench/run.py [--cases 1000000] [--reuse]

The database named by DATABASE_URL is only used to find the server: the benchmark drops and
creates ``ecase_bench`` next to it (``--reuse`` keeps it when it already holds N cases), migrates
it and fills it with ``seed_demo``'s demo world plus N bulk cases. Then it measures (b) loading
one case with all its children, (c) the cost of a history row on a save, (d) the restricted
case list with its query plan, (e) the server time of the main pages through the whole Django
stack and (f) their weight in bytes, and writes the tables to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# ECASE_BENCH_DB names another database, e.g. a copy of the seeded one for one branch's measurement
# (with --reuse: migrated to the checkout and measured, never re-seeded while it holds the cases).
BENCH_DB = os.environ.get("ECASE_BENCH_DB", "ecase_bench")
DATA = ROOT / "bench" / "data"  # git-ignored: private files of the demo world, seed statistics
RESULTS = ROOT / "bench" / "RESULTS.md"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000, help="bulk cases to seed (default 1,000,000)")
    parser.add_argument("--reuse", action="store_true", help=f"keep {BENCH_DB} when it already holds the cases")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="seeding processes")
    parser.add_argument("--batch-size", type=int, default=1000, help="cases per bulk transaction")
    parser.add_argument("--method", choices=("copy", "orm"), default="copy", help="bulk writer (see demo/sinks.py)")
    parser.add_argument(
        "--defer-fk-checks",
        action="store_true",
        help="check foreign keys once after the load instead of row by row (needs a superuser)",
    )
    parser.add_argument(
        "--seed-only", action="store_true", help="seed (and ANALYZE) the bench database, measure nothing"
    )
    parser.add_argument("--note", action="append", default=[], help="a note for the report (repeatable)")
    parser.add_argument("--runs", type=int, default=50, help="runs per timing (default 50)")
    parser.add_argument("--saves", type=int, default=500, help="saves per variant for the history overhead")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--seed", type=int, default=20261128, help="random seed of the data and of the sampling")
    return parser.parse_args(argv)


def bench_url(url: str) -> str:
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("bench/run.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    return urlunparse(parts._replace(path=f"/{BENCH_DB}"))


def _server(url: str):
    import psycopg2

    parts = urlparse(url)
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    conn.autocommit = True
    return conn


def database_exists(url: str) -> bool:
    with _server(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        return cursor.fetchone() is not None


def recreate_database(url: str) -> None:
    conn = _server(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{BENCH_DB}"')
    finally:
        conn.close()


def log(message: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", flush=True)


def machine_facts(args) -> dict:
    from django.db import connection

    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    model = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?"
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    import django

    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU cores": os.cpu_count(),
        "CPU": model,
        "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "PostgreSQL": f"{version} (shared_buffers {shared_buffers})",
        "database size": size,
        "Python / Django": f"{platform.python_version()} / {django.get_version()}",
        "N (bulk cases)": f"{args.cases:,}",
        "load average (1/5/15 min) at the end": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def migrate_reused() -> None:
    """Migrate a reused bench database to the checkout's schema; VACUUM (ANALYZE) it when anything
    was applied: a migration may rewrite a table (cases 0012 does), which leaves it without
    statistics and visibility map, and autovacuum is off on these machines."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    before = set(MigrationRecorder(connection).applied_migrations())
    call_command("migrate", verbosity=0)  # the code measured is the checkout's: its indexes too
    applied = set(MigrationRecorder(connection).applied_migrations()) - before
    if applied:
        log(f"applied {', '.join(sorted('.'.join(key) for key in applied))}; VACUUM (ANALYZE)")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")


def seed(args) -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction

    from demo import bulk, world

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    log(f"migrated in {time.monotonic() - started:.0f} s; seeding the demo world")
    world_started = time.monotonic()
    with transaction.atomic():
        world.seed_world(seed=args.seed)  # the passwords are not printed: nobody signs in to the bench database
    world_seconds = time.monotonic() - world_started
    log(f"demo world in {world_seconds:.1f} s; seeding {args.cases:,} bulk cases")
    result = bulk.seed_bulk(
        cases=args.cases,
        batch_size=args.batch_size,
        workers=args.workers,
        seed=args.seed,
        method=args.method,
        defer_fk_checks=args.defer_fk_checks,
        progress=log,
    )
    log(result.summary())
    analyze_started = time.monotonic()
    with connection.cursor() as cursor:  # what autovacuum reaches after a while: statistics and visibility maps
        cursor.execute("VACUUM (ANALYZE)")
    analyze_seconds = time.monotonic() - analyze_started
    stats = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cases": args.cases,
        "method": result.method,
        "workers": args.workers,
        "batch_size": args.batch_size,
        "defer_fk_checks": args.defer_fk_checks,
        "world_seconds": world_seconds,
        "bulk_seconds": result.seconds,
        "fk_checked": result.fk_checked,
        "fk_seconds": result.fk_seconds,
        "analyze_seconds": analyze_seconds,
        "analyze_step": "VACUUM (ANALYZE)",
        "total_seconds": time.monotonic() - started,
        "rows": result.total_rows,
        "per_table": dict(result.rows),
        "load_average": os.getloadavg(),
    }
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "seed-last.json").write_text(json.dumps(stats, indent=1))
    runs_file = DATA / "seed-runs.json"
    runs = json.loads(runs_file.read_text()) if runs_file.exists() else []
    runs.append({k: v for k, v in stats.items() if k != "per_table"})
    runs_file.write_text(json.dumps(runs, indent=1))
    log(f"seeded in {stats['total_seconds']:.0f} s (VACUUM ANALYZE {analyze_seconds:.0f} s)")
    return stats


def measure_and_report(args, seed_stats: dict | None) -> None:
    from accounts.choices import Role
    from accounts.models import User
    from bench import measure, pages, report, results
    from tests.auth import verified_client  # the same verified session as the test suite's

    rng = random.Random(args.seed)
    log(f"(b) loading {args.runs} cases with all their children")
    loading = measure.case_loading(args.runs, rng)
    log(f"    median {loading.median_ms:.2f} ms, p95 {loading.p95_ms:.2f} ms, queries {sorted(set(loading.queries))}")
    log(f"(c) history overhead, {args.saves} saves per variant")
    overhead = measure.history_overhead(args.saves, rng)
    log(
        f"    with {overhead.with_history.median_ms:.2f} ms, without {overhead.without_history.median_ms:.2f} ms, "
        f"ratio {overhead.ratio:.2f}"
    )
    log("(d) restricted lists")
    investigator, grant_stats = measure.typical_investigator()
    regional = measure.busiest(Role.SUPERVISOR, "nach.", unit__parent__isnull=True)
    department = measure.busiest(Role.SUPERVISOR, "nach.", unit__parent__isnull=False)
    people = [("investigator", investigator)]
    for who, user in (
        ("prosecutor", measure.busiest(Role.PROSECUTOR, "prok.")),
        ("supervisor of a district department", department),
        ("demo supervisor of Astana", User.objects.filter(username="supervisor.astana").first()),
        ("supervisor of a region", regional),
    ):
        if user is not None:
            people.append((who, user))
    lists = []
    for who, user in people:
        bench = measure.restricted_list(user, who, args.runs)
        log(
            f"    {who} {user.username}: {bench.visible} visible, restrict {bench.restricted.median_ms:.2f} ms, "
            f"former {bench.former.median_ms:.2f} ms, all {bench.unrestricted.median_ms:.2f} ms, "
            f"same rows {bench.same_rows}, seq scan on cases_case: {bench.seq_scan}"
        )
        lists.append(bench)
    notes = [*args.note, f"Grants per bulk investigator (view_case): {grant_stats}."]
    for bench in lists:
        if not bench.same_rows:
            notes.append(f"**restrict() and the former shape disagree for the {bench.who}**: a semantic change.")
        if bench.seq_scan:
            notes.append(f"The restricted query of the {bench.who} reads cases_case sequentially (see its plan).")
    log("(e) server time of the main pages")
    timed = [
        ("investigator", investigator),
        ("supervisor of a district department", department),
        ("supervisor of a region", regional),
    ]
    timings = pages.server_times([(who, user) for who, user in timed if user is not None], args.runs)
    for t in timings:
        log(f"    {t.page}, {t.who}: median {t.median_ms:.1f} ms, p95 {t.p95_ms:.1f} ms")
    log("(f) page weight")
    weights = []
    # The supervisor's pages too: what they show grows with the units below them.
    administrator = User.objects.filter(role=Role.ADMINISTRATOR, is_active=True).order_by("pk").first()
    for who, user in (
        ("investigator", investigator),
        ("supervisor of a region", regional),
        ("administrator", administrator),
    ):
        if user is not None:
            weights += [
                replace(w, name=f"{w.name}, {who} (`{user.username}`)")
                for w in pages.weigh(verified_client(user), pages.main_pages(user))
            ]
    for w in weights:
        log(
            f"    {w.name}: first load {w.first_raw:,} B ({w.first_compressed:,} B gzip), "
            f"subsequent {w.subsequent_raw:,} B ({w.subsequent_compressed:,} B gzip)"
        )
    runs_file = DATA / "seed-runs.json"
    seed_runs = json.loads(runs_file.read_text()) if runs_file.exists() else []
    text = report.render(
        machine_facts(args),
        seed_stats,
        seed_runs,
        loading,
        overhead,
        lists,
        measure.table_sizes(),
        notes,
        timings=timings,
        weights=weights,
    )
    results.refresh(text, args.output)  # followed by the audit and signing benchmarks' sections
    log(f"wrote {args.output}")


def main(argv=None) -> None:
    args = parse_args(argv)
    url = bench_url(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/ecase")
    os.environ["DATABASE_URL"] = url
    # The bench database gets its own var/ (secret key, signing passphrase, file storage) and a
    # broker folder of its own: render tasks queued by the demo world's approvals must not reach
    # a worker that serves another database.
    os.environ.setdefault("ECASE_VAR_DIR", str(DATA / "var"))
    os.environ.setdefault("ECASE_PRIVATE_STORAGE", str(DATA / "private"))
    os.environ.pop("REDIS_URL", None)
    # Pages are timed as production serves them: DEBUG would record every query and keep
    # template debug information, which costs time the real server does not spend.
    os.environ.setdefault("ECASE_DEBUG", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecase.settings")
    import django

    started = time.monotonic()
    reuse = False
    if args.reuse and database_exists(url):
        django.setup()
        from django.db import connections

        from cases.models import Case

        try:
            # The cases decide, not bench/data/: a fresh checkout has no seed record, and reseeding
            # 1,000,000 cases costs half an hour.
            reuse = Case.objects.count() >= args.cases
        except Exception:  # not migrated, or half-seeded
            reuse = False
        connections.close_all()
        log(f"{BENCH_DB}: {'reusing the seeded data' if reuse else 'does not hold the data; seeding again'}")
    if not reuse:
        log(f"creating {BENCH_DB}")
        recreate_database(url)
    django.setup()
    if reuse:
        migrate_reused()
        record = DATA / "seed-last.json"
        seed_stats = json.loads(record.read_text()) if record.exists() else None
    else:
        seed_stats = seed(args)
    if args.seed_only:  # the long part done once, e.g. in the background while code changes
        log(f"seed only: {BENCH_DB} ready in {(time.monotonic() - started) / 60:.1f} min")
        return
    measure_and_report(args, seed_stats)
    log(f"benchmark done in {(time.monotonic() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
