"""Benchmark of a case update (issue #15, item 4): the service against a bare save, in the same run.

    .venv/bin/python bench/write_bench.py [--cases 3000] [--updates 200]

Creates (drops first) the database ``ecase_writebench`` on the server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432), migrates it, seeds the demo world and ``--cases`` bulk cases
(demo/bulk.py), runs VACUUM (ANALYZE) (autovacuum is off on these machines: the planner must
not work from empty statistics), then times ``--updates`` rounds of three writes of the plot of a
case, each in a transaction of its own, the three interleaved in every round so that they share
the machine's load:

(a) a bare ``save()`` of the Case row (simple-history skipped): the floor;
(b) the same save writing its history row (with the many-to-many snapshot simple-history adds);
(c) ``case_update`` as the pages and the API call it: scope lock, version check, validation,
    history, the audit event in the case's chain.

Writes bench/RESULTS_WRITES.md (a section of bench/RESULTS.md, bench/results.py) and prints it.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "ecase_writebench"
OUTPUT = ROOT / "bench" / "RESULTS_WRITES.md"


def seed(cases: int) -> None:
    from django.db import connection, transaction

    from demo import bulk, world

    with transaction.atomic():
        world.seed_world(seed=15)
    bulk.seed_bulk(cases=cases, seed=15)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def timed(write) -> float:
    from django.db import transaction

    started = time.perf_counter()
    with transaction.atomic():  # committed inside the timing: the commit is part of a write's cost
        write()
    return (time.perf_counter() - started) * 1000


def bench(updates: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from cases.models import Case
    from cases.services.case import case_update
    from ecase.history import attribute

    rng = random.Random(15)
    ids = list(Case.objects.filter(lead_investigator__is_active=True).values_list("pk", flat=True))
    leads = dict(Case.objects.filter(pk__in=ids).values_list("pk", "lead_investigator_id"))
    users = User.objects.in_bulk(set(leads.values()))
    sample = rng.sample(ids, min(len(ids), updates))
    times: dict[str, list[float]] = {"bare": [], "history": [], "service": []}

    def bare(case_id: int, n: int) -> None:
        case = Case.objects.get(pk=case_id)
        case.plot = f"Фабула, редакция {n} (a)."
        case.skip_history_when_saving = True  # simple-history's own switch: the row alone
        case.save()

    def with_history(case_id: int, n: int) -> None:
        case = Case.objects.get(pk=case_id)
        case.plot = f"Фабула, редакция {n} (b)."
        attribute(case, actor=users[leads[case_id]], reason="Уточнение фабулы")
        case.save()

    def service(case_id: int, n: int) -> None:
        version = Case.objects.filter(pk=case_id).values_list("version", flat=True).get()  # as the form carries it
        case_update(
            case_id=case_id,
            actor=users[leads[case_id]],
            expected_version=version,
            reason="Уточнение фабулы",
            plot=f"Фабула, редакция {n} (c).",
        )

    kinds = {"bare": bare, "history": with_history, "service": service}
    # Warm the connection, caches and plans; and give every sampled case its audit chain, as a case
    # registered through the service has (the bulk loader writes none): the first event of a chain
    # creates its head, two statements that no later update pays.
    for n, case_id in enumerate(sample):
        for write in kinds.values():
            timed(lambda write=write, case_id=case_id, n=n: write(case_id, n))
    for n, case_id in enumerate(sample):
        order = list(kinds)
        rng.shuffle(order)
        for kind in order:
            times[kind].append(timed(lambda kind=kind, case_id=case_id, n=n: kinds[kind](case_id, n)))
    with CaptureQueriesContext(connection) as captured:
        service(sample[0], -1)
    return {
        "updates": len(sample),
        "medians": {k: statistics.median(v) for k, v in times.items()},
        "p95": {k: statistics.quantiles(v, n=20)[-1] for k, v in times.items()},
        "statements": len(captured) - 1,
    }  # less the version read, which the form does, not the service


def report(result: dict, cases: int) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    m, p = result["medians"], result["p95"]
    rows = [
        ("(a) bare `save()` of the Case row", "bare"),
        ("(b) bare save + its history row", "history"),
        ("(c) `case_update` (lock, scope, version, validation, history, chained audit)", "service"),
    ]
    table = "\n".join(
        f"| {label} | {m[k]:.2f} | {p[k]:.2f} | {m[k] / m['bare']:.2f}× | {m[k] / m['history']:.2f}× |"
        for label, k in rows
    )
    return f"""# Case update cost (issue #15, item 4)

Written by `bench/write_bench.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: {os.cpu_count()} cores
(shared), Python {platform.python_version()}, PostgreSQL {server} on the same host; database `{DB_NAME}`
created afresh with the demo world and {cases:,} bulk cases, VACUUM (ANALYZE) after loading. {result["updates"]}
rounds, each one update of a case's plot of each kind in its own transaction (commit included), the three
in a random order per round on the same case. Load average at the end: {" / ".join(f"{x:.2f}" for x in os.getloadavg())}.

| write | median ms | p95 ms | × (a) | × (b) |
|---|---:|---:|---:|---:|
{table}

`case_update` runs **{result["statements"]} SQL statements**, BEGIN and COMMIT included (31 before;
tests/cases/test_write_cost.py asserts ≤ 12 and lists them). Goal: (c) ≤ 3× (b). The two bare saves read
the row first (`get`), the service locks it (`SELECT … FOR UPDATE` through the actor's scope).
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--updates", type=int, default=200)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.fresh_db import bench_database_url, fresh_database

    url = bench_database_url(DB_NAME)
    scratch = tempfile.mkdtemp(prefix="ecase-writebench-")
    # Its own var/ and a broker folder: tasks queued by the demo world's approvals reach no worker.
    os.environ.update(
        {
            "DATABASE_URL": url,
            "ECASE_VAR_DIR": scratch,
            "ECASE_PRIVATE_STORAGE": f"{scratch}/private",
            "ECASE_DEBUG": "0",
        }
    )
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecase.settings")
    print(f"preparing {DB_NAME} …", flush=True)
    fresh_database(url)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench import results

    print(f"seeding the demo world and {args.cases:,} cases …", flush=True)
    seed(args.cases)
    print(f"timing {args.updates} rounds …", flush=True)
    text = report(bench(args.updates), args.cases)
    OUTPUT.write_text(text)
    results.refresh()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
