#!/usr/bin/env python
"""Search by surname and by words of the plot, per role, on the bench database (issue #15).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecase python bench/search_bench.py [--runs 40]

Uses the cases ``bench/run.py`` seeded into ``ecase_bench`` (run that first; ``--seed-only`` seeds
without measuring) and migrates it to the checkout's schema. For each role (a typical
investigator, the busiest prosecutor, the busiest supervisors of a district department and of
a region) it times ``--runs`` searches of each kind, cycling through varied surnames and plot
words, interleaved over the roles:

* the selector: ``cases.selectors.case_list(user, CaseFilters(q=…))``, the list's first page
  (26 rows: a page of 25 and the row that says whether another follows), both its statements;
* the page: ``GET /cases/?q=…`` through the whole Django stack (session, second factor, the
  view, its access-log row, the template), as bench/pages.py times pages.

Alongside, the same-run unrestricted baseline (the first page of all cases, newest first) and
EXPLAIN ANALYZE excerpts naming the indexes each statement used. Writes bench/RESULTS_SEARCH.md
and refreshes bench/RESULTS.md (bench/results.py).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import BENCH_DB, DATA, bench_url  # noqa: E402

OUTPUT = ROOT / "bench" / "RESULTS_SEARCH.md"
PAGE_ROWS = 26  # cases/views/common.py PAGE_SIZE + 1 (cases/paging.py)
# Words of the demo plots (cases/demo/texts.py), from frequent to rare, Russian and Kazakh.
PLOT_WORDS = (
    "телефон",
    "тенге",
    "похищены",
    "потерпевшего",
    "ножом",
    "автомобиля",
    "банка",
    "кафе",
    "остановки",
    "наркотическое",
    "взятку",
    "налога",
    "перекрёстка",
    "аккаунту",
    "труп",
    "ұрлаған",
    "деньги потерпевшей",
    "мобильный телефон",
)
CANDIDATE_IDS = re.compile(r'"cases_case"\."id" IN \(\d')  # pk IN (the candidates' ids)
INDEX = re.compile(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class Series:
    role: str
    username: str
    kind: str  # "surname" or "plot"
    visible: int
    selector: list[float] = field(default_factory=list)
    page: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    shapes: dict[str, int] = field(default_factory=dict)

    def ms(self, values: list[float]) -> tuple[float, float]:
        return statistics.median(values) * 1000, percentile(values, 0.95) * 1000


def surnames(rng: random.Random) -> list[str]:
    """Whole surnames and prefixes of the demo's surnames, both sexes, mixed case."""
    from cases.choices import Sex
    from demo import people

    terms = []
    for stem in people.SURNAME_STEMS:
        terms.append(people.surname(stem, rng.choice((Sex.MALE, Sex.FEMALE))))
        terms.append(stem[: rng.randint(4, max(4, len(stem)))].lower())
    terms.append("Ёлкина")  # a surname nobody has: the candidates come back empty
    rng.shuffle(terms)
    return terms


def people_of_each_role():
    from accounts.choices import Role
    from bench import measure

    investigator, _ = measure.typical_investigator()
    roles = [
        ("investigator", investigator),
        ("prosecutor", measure.busiest(Role.PROSECUTOR, "prok.")),
        ("supervisor of a district department", measure.busiest(Role.SUPERVISOR, "nach.", unit__parent__isnull=False)),
        ("supervisor of a region", measure.busiest(Role.SUPERVISOR, "nach.", unit__parent__isnull=True)),
    ]
    return [(who, user) for who, user in roles if user is not None]


def shape_of(user, q: str) -> str:
    """The shape ``_search`` took for ``user``: the candidates' ids in the page's statement, or the row test."""
    from django.core.exceptions import EmptyResultSet

    from cases.selectors import CaseFilters, case_list

    try:
        sql = str(case_list(user=user, filters=CaseFilters(q=q)).query)
    except EmptyResultSet:  # no candidates at all: Django sends no statement
        return "candidates"
    return "candidates" if CANDIDATE_IDS.search(sql) else "row test (common term)"


def explain(user, q: str) -> tuple[str, str, list[str]]:
    """EXPLAIN ANALYZE of the search's two statements as the list runs them; the indexes they used."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.selectors import CaseFilters, case_list

    with CaptureQueriesContext(connection) as queries:
        page = case_list(user=user, filters=CaseFilters(q=q))[:PAGE_ROWS]
    statements = [  # the capped candidates: number, article and names; the plot among the user's cases
        query["sql"]
        for query in queries
        if "LIMIT" in query["sql"] and ("UNION ALL" in query["sql"] or "plot_tsv" in query["sql"])
    ]
    texts = []
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(f"EXPLAIN (ANALYZE) {sql}")
            texts.append("\n".join(row[0] for row in cursor.fetchall()))
    texts.append(page.explain(analyze=True))
    used = sorted({name for text in texts for name in INDEX.findall(text)})
    return "\n\n".join(texts[:-1]), texts[-1], used


def timed_page(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return elapsed


def run(args) -> str:
    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone

    from bench import measure
    from cases.models import Case
    from cases.selectors import CaseFilters, case_list
    from tests.auth import verified_client

    rng = random.Random(args.seed)
    terms = {"surname": surnames(rng), "plot": list(PLOT_WORDS)}
    roles = people_of_each_role()
    series: dict[tuple[str, str], Series] = {}
    clients = {}
    for who, user in roles:
        clients[who] = verified_client(user)
        visible = measure.former_restrict(user).count()  # grant-first: restrict() would walk every case to count
        for kind in terms:
            series[(who, kind)] = Series(who, user.username, kind, visible)
        print(f"{who} {user.username}: {visible:,} visible cases", file=sys.stderr, flush=True)
    shapes = {(who, q): shape_of(user, q) for kind in terms for q in terms[kind] for who, user in roles}
    url = reverse("cases:list")
    unrestricted = measure._time_list(lambda: Case.objects.order_by("-registered_at", "-id")[:PAGE_ROWS], args.runs)
    for i in range(args.runs):  # interleaved: drift on the shared machine hits every role alike
        for kind, words in terms.items():
            q = words[i % len(words)]
            for who, user in roles:
                s = series[(who, kind)]
                started = time.perf_counter()
                rows = list(case_list(user=user, filters=CaseFilters(q=q))[:PAGE_ROWS])
                s.selector.append(time.perf_counter() - started)
                s.rows.append(len(rows))
                s.shapes[shapes[who, q]] = s.shapes.get(shapes[who, q], 0) + 1
                s.page.append(timed_page(clients[who], f"{url}?q={q}"))
        if i % 10 == 9:
            print(f"  {i + 1}/{args.runs} rounds", file=sys.stderr, flush=True)
    plans = []
    for who, user in roles:
        for kind, q in (("surname", terms["surname"][0]), ("plot", "телефон")):
            candidates, page, used = explain(user, q)
            plans.append((who, user.username, kind, q, shapes[who, q], used, candidates, page))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        total = cursor.fetchone()[0]
    return report(args, total, series, unrestricted, plans, shapes, timezone.now())


def report(args, total, series, unrestricted, plans, shapes, now) -> str:
    from cases.selectors import SEARCH_CANDIDATES

    common = sum(1 for shape in shapes.values() if shape != "candidates")
    terms = len({q for _who, q in shapes})
    lines = [
        "# Search by surname and by plot words, per role (issue #15)",
        "",
        f"`python bench/search_bench.py --runs {args.runs}` on {now:%Y-%m-%d %H:%M} UTC against `{BENCH_DB}` "
        f"({total:,} cases, seeded by bench/run.py, VACUUM ANALYZE after loading). 2 shared cores; load average "
        f"at the end {' / '.join(f'{x:.2f}' for x in os.getloadavg())}. {args.runs} searches per role and kind, "
        "interleaved over the roles, cycling through "
        f"{terms - len(PLOT_WORDS)} surnames and surname prefixes of the demo data (30 stems: each "
        f"surname is carried by ~3 % of persons) and {len(PLOT_WORDS)} plot words and phrases. "
        f"{common} of the {len(shapes)} searches (role × term) take the row-test shape (cases/selectors.py "
        f"`_search`: a number, article or name matching more than {SEARCH_CANDIDATES:,} cases in the "
        f"register, or a plot matching more than {SEARCH_CANDIDATES:,} of the user's cases); the rest are "
        "answered from their candidates.",
        "",
        "*Selector*: `case_list(user, CaseFilters(q=…))[:26]` evaluated (the candidates' statement and the "
        "page's). *Page*: `GET /cases/?q=…` through the whole stack, signed in and verified, DEBUG off "
        "(session save, access-log row, template included). Unrestricted baseline in the same run: the first "
        f"26 cases of all, newest first, {unrestricted.median_ms:.2f} ms median / {unrestricted.p95_ms:.2f} ms p95.",
        "",
        "| role | user | cases visible | search | rows found (median) | selector median | selector p95 | "
        "page median | page p95 | p95 ≤ 50 ms |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for s in series.values():
        sel, page = s.ms(s.selector), s.ms(s.page)
        lines.append(
            f"| {s.role} | `{s.username}` | {s.visible:,} | {s.kind} | {statistics.median(s.rows):.0f} | "
            f"{sel[0]:.1f} ms | {sel[1]:.1f} ms | {page[0]:.1f} ms | {page[1]:.1f} ms | "
            f"{'yes' if sel[1] <= 50 else 'no'} (selector), {'yes' if page[1] <= 50 else 'no'} (page) |"
        )
    lines += ["", "## Plans", ""]
    lines.append("Indexes each search used (EXPLAIN ANALYZE of both statements, one surname and one plot word):")
    lines.append("")
    lines.append("| role | search | shape | indexes used |")
    lines.append("|---|---|---|---|")
    for who, username, kind, q, shape, used, _, _ in plans:
        lines.append(f"| {who} (`{username}`) | {kind} «{q}» | {shape} | {', '.join(f'`{u}`' for u in used)} |")
    for who, username, kind, q, shape, _used, candidates, page in plans:
        if who != "supervisor of a region":
            continue
        lines += ["", f"### {who} (`{username}`), {kind} «{q}» ({shape})", ""]
        if candidates:
            lines += ["Candidates:", "", "```", candidates, "```", ""]
        lines += ["Page:", "", "```", page, "```"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=40, help="searches per role and kind (default 40)")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument(
        "--output", type=Path, default=OUTPUT, help="report file; bench/RESULTS.md is refreshed only from the default"
    )
    args = parser.parse_args(argv)
    os.environ["DATABASE_URL"] = bench_url(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/ecase")
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
    args.output.write_text(text)
    if args.output == OUTPUT:  # a branch's trial run (another file) stays out of the one report
        results.refresh()
    print(text)


if __name__ == "__main__":
    main()
