#!/usr/bin/env python
"""The clocks of the dashboard at scale (issue #18, item 3): server time per role.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecase_bench_clk python bench/clocks_bench.py [--runs 30]

Runs against the database DATABASE_URL names, as it is (a copy of the seeded bench database; this
script never creates or drops one), migrated to the checkout's schema first (``migrate_reused``).
For a typical investigator, the busiest prosecutor and the busiest supervisors of a district
department and of a region it times ``--runs`` of

* the selector: ``cases.clock_selectors.clocks_due(Case.objects.restrict(user), hours=120,
  limit=20)`` — every clock overdue or running out within five days across the user's cases, the
  dashboard's first rows — and its statement count;
* the page: ``GET /`` through the whole Django stack (session, second factor, every list of the
  dashboard, its access-log row, the template), as bench/pages.py times pages;

then the daily warnings' scan (``_due_case_ids``, the cases the watcher looks at) once, and EXPLAIN
ANALYZE of the clocks' two statements for the regional supervisor. Writes bench/RESULTS_CLOCKS.md
and refreshes bench/RESULTS.md (bench/results.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUTPUT = ROOT / "bench" / "RESULTS_CLOCKS.md"
HOURS = 5 * 24
ROWS = 20  # cases/views/dashboard.py DASHBOARD_ROWS
BUDGET_MS = 300  # the page budget this report judges by: a dashboard request's p95 (bench/RESULTS.md (e))


def ms(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def explain_clocks(user) -> list[tuple[str, str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.clock_selectors import clocks_due
    from cases.models import Case

    with CaptureQueriesContext(connection) as queries:
        clocks_due(Case.objects.restrict(user), hours=HOURS, limit=ROWS)
    wanted = [
        ("cases whose stored deadline is due", lambda sql: 'FROM "cases_case"' in sql and '"deadline" <=' in sql),
        ("acts that may start a clock", lambda sql: 'FROM "cases_proceduralact"' in sql and "agreement_due_at" in sql),
    ]
    plans = []
    with connection.cursor() as cursor:
        for label, match in wanted:
            sql = next((q["sql"] for q in queries if match(q["sql"])), None)
            if sql is None:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE) {sql}")
            plans.append((label, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


def run(args) -> str:
    from django.db import connection
    from django.utils import timezone

    from bench import measure
    from bench.search_bench import people_of_each_role
    from cases.clock_selectors import clocks_due
    from cases.models import Case
    from cases.services.clock_warnings import _due_case_ids
    from tests.auth import verified_client

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        total = cursor.fetchone()[0]
    rows = []
    regional = None
    for who, user in people_of_each_role():
        if who == "supervisor of a region":
            regional = user
        visible = measure.former_restrict(user).count()
        client = verified_client(user)
        client.get("/")  # warm-up
        selector, page, statements, found = [], [], [], 0
        for _ in range(args.runs):
            with measure.counting_queries() as counter:
                started = time.perf_counter()
                pairs = clocks_due(Case.objects.restrict(user), hours=HOURS, limit=ROWS)
                selector.append(time.perf_counter() - started)
            statements.append(counter.count)
            found = len(pairs)
            started = time.perf_counter()
            response = client.get("/")
            page.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        rows.append((who, user.username, visible, found, ms(selector), sorted(set(statements)), ms(page)))
    started = time.perf_counter()
    due_ids = _due_case_ids(timezone.now())
    scan = time.perf_counter() - started
    plans = explain_clocks(regional) if regional is not None else []
    lines = [
        "# Clocks of the dashboard (issue #18, item 3)",
        "",
        f"`bench/clocks_bench.py` on `{connection.settings_dict['NAME']}` ({total:,} cases), "
        f"{timezone.now():%Y-%m-%d %H:%M} UTC, {platform.node()}, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end (other jobs share the machine: "
        "a load above the core count inflates every figure). "
        f"Median / p95 of {args.runs} runs per role after a warm-up. The selector: every clock overdue or "
        f"running out within 5 days across the user's cases, first {ROWS} (`clocks_due`: the term from the "
        "stored `Case.deadline`, the acts' clocks from the acts that may start one), its statements; the page: "
        "`GET /` through the whole stack, every list of the dashboard. "
        f"Budget: page p95 ≤ {BUDGET_MS} ms.",
        "",
        "| role | user | cases visible | clocks shown | selector median | selector p95 | statements | "
        f"page median | page p95 | p95 ≤ {BUDGET_MS} ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for who, username, visible, found, (s_med, s_p95), statements, (p_med, p_p95) in rows:
        verdict = "yes" if p_p95 <= BUDGET_MS else "**no**"
        lines.append(
            f"| {who} | `{username}` | {visible:,} | {found} | {s_med:.2f} ms | {s_p95:.2f} ms | "
            f"{', '.join(map(str, statements))} | {p_med:.2f} ms | {p_p95:.2f} ms | {verdict} |"
        )
    lines += [
        "",
        f"The daily warnings' scan (`cases/services/clock_warnings.py`, all cases, no access filter): "
        f"{len(due_ids):,} cases hold a clock due within 24 hours or overdue, found in {scan * 1000:.0f} ms "
        "(the events themselves are written 500 cases per transaction, one audit row per clock per day).",
    ]
    for label, plan in plans:
        lines += ["", f"EXPLAIN ANALYZE, regional supervisor — {label}:", "", "```", plan, "```"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per role (default 30)")
    args = parser.parse_args(argv)
    if not (os.environ.get("DATABASE_URL") or "").startswith("postgres"):
        sys.exit("bench/clocks_bench.py needs DATABASE_URL=postgres://... naming the database to measure")
    from bench.run import DATA

    os.environ.setdefault("ECASE_VAR_DIR", str(DATA / "var"))
    os.environ.setdefault("ECASE_PRIVATE_STORAGE", str(DATA / "private"))
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("ECASE_DEBUG", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecase.settings")
    import django

    django.setup()
    from bench import results
    from bench.run import migrate_reused

    migrate_reused()
    text = run(args)
    OUTPUT.write_text(text)
    results.refresh()
    print(text)


if __name__ == "__main__":
    main()
