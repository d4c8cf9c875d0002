"""The measurements of bench/run.py; each returns plain data for bench/report.py."""

from __future__ import annotations

import random
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count

from accounts.choices import Role
from accounts.models import User
from cases.models import Case, CaseUserObjectPermission, Participant
from ecase.history import attribute

from .loader import load_case, touch


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Timing:
    label: str
    runs: list[float]  # seconds
    queries: list[int] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.runs, 95) * 1000


class QueryCounter:
    """Counts the queries run on the default connection (unlike CaptureQueriesContext, not capped at 9000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_queries():
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        yield counter


def random_case_ids(n: int, rng: random.Random) -> list[int]:
    """``n`` distinct existing case ids, drawn uniformly over the id range."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM cases_case")
        low, high = cursor.fetchone()
    ids: set[int] = set()
    while len(ids) < n:
        candidates = [rng.randint(low, high) for _ in range(n * 2)]
        ids.update(Case.objects.filter(pk__in=candidates).values_list("pk", flat=True)[: n - len(ids)])
    return sorted(ids)[:n]


def case_loading(runs: int, rng: random.Random) -> Timing:
    """Load ``runs`` random cases with all their children, each as its lead investigator."""
    ids = random_case_ids(runs, rng)
    leads = dict(Case.objects.filter(pk__in=ids).values_list("pk", "lead_investigator_id"))
    users = User.objects.in_bulk(set(leads.values()))
    load_case(users[leads[ids[0]]], ids[0])  # warm the connection and Django's caches
    timing = Timing("load one case with all its children", [])
    for case_id in ids:
        user = users[leads[case_id]]
        with counting_queries() as queries:
            started = time.perf_counter()
            touch(load_case(user, case_id))
            timing.runs.append(time.perf_counter() - started)
        timing.queries.append(queries.count)
    return timing


@dataclass
class HistoryOverhead:
    with_history: Timing
    without_history: Timing

    @property
    def ratio(self) -> float:
        return self.with_history.median_ms / self.without_history.median_ms


def history_overhead(saves: int, rng: random.Random) -> HistoryOverhead:
    """Median time of one Participant save (own transaction) with and without its history row."""
    case_id = random_case_ids(1, rng)[0]
    participant = Participant.objects.filter(case_id=case_id).select_related("case").first()
    actor = User.objects.get(pk=participant.case.lead_investigator_id)
    with_history, without = Timing("save with history", []), Timing("save without history", [])
    for i in range(saves):  # interleaved, so drift (autovacuum, cache) hits both alike
        for timing, skip in ((with_history, False), (without, True)):
            participant.note = f"bench {i} {'skip' if skip else 'history'}"
            started = time.perf_counter()
            with transaction.atomic():
                if skip:
                    participant.skip_history_when_saving = True
                else:
                    attribute(participant, actor=actor, reason="bench: history overhead")
                participant.save()
            timing.runs.append(time.perf_counter() - started)
            if skip:
                del participant.skip_history_when_saving
    return HistoryOverhead(with_history, without)


def former_restrict(user, action: str = "view"):
    """``Case.objects.restrict`` as it was until 2026-11-28: both grant sources UNIONed inside one
    ``pk IN (…)``, permission and groups joined in. Kept only so that (d) shows what the current
    shape gained on the same data; drop it and its column once nobody needs the comparison."""
    from cases.access import codename
    from cases.models import CaseGroupObjectPermission

    perm = codename(action)
    by_user = CaseUserObjectPermission.objects.filter(
        user_id=user.pk, permission__codename=perm, permission__content_type__app_label="cases"
    ).values("content_object_id")
    by_group = CaseGroupObjectPermission.objects.filter(
        group__user=user.pk, permission__codename=perm, permission__content_type__app_label="cases"
    ).values("content_object_id")
    return Case.objects.filter(pk__in=by_user.union(by_group))


def first_page(queryset):
    """The case list's first page in its order (Case.Meta.ordering, index case_registered_order); 50 rows,
    twice the list's page size, as in the figures before 2026-11-28."""
    return queryset.order_by("-registered_at", "-id")[:50]


def execution_ms(plan: str) -> float:
    return float(plan.rsplit("Execution Time:", 1)[1].split("ms")[0])


@dataclass
class ListBench:
    who: str
    username: str
    visible: int
    restricted: Timing
    former: Timing
    unrestricted: Timing
    plan: str
    former_plan: str
    same_rows: bool
    count: Timing  # COUNT(*) of all visible cases, as the list's pager asks
    former_count: Timing

    @property
    def gain(self) -> float:
        return self.former.median_ms / self.restricted.median_ms

    @property
    def plan_ms(self) -> float:
        return execution_ms(self.plan)

    @property
    def former_plan_ms(self) -> float:
        return execution_ms(self.former_plan)

    @property
    def seq_scan(self) -> bool:
        return "Seq Scan on cases_case" in self.plan


def _time_list(queryset_factory, runs: int, evaluate=list) -> Timing:
    evaluate(queryset_factory())  # warm
    timing = Timing("first page", [])
    for _ in range(runs):
        started = time.perf_counter()
        evaluate(queryset_factory())
        timing.runs.append(time.perf_counter() - started)
    return timing


def restricted_list(user: User, who: str, runs: int) -> ListBench:
    """The first page of the user's case list: restrict(), the former shape, and all cases unrestricted.

    Each timing evaluates a fresh query set (restrict() included: the permission id is cached per
    process, the group ids per user object, as in a request after its first restrict()).
    """
    restricted = lambda: first_page(Case.objects.restrict(user, "view"))  # noqa: E731
    former = lambda: first_page(former_restrict(user, "view"))  # noqa: E731
    unrestricted = lambda: first_page(Case.objects.all())  # noqa: E731
    same = (
        list(restricted().values_list("pk", flat=True)) == list(former().values_list("pk", flat=True))
        and Case.objects.restrict(user, "view").count() == former_restrict(user, "view").count()
    )
    # The count has to visit every visible case whatever the shape (a supervisor's: the whole case
    # table), so it is timed apart and fewer times.
    count_runs = max(5, runs // 10)
    return ListBench(
        who=who,
        username=user.username,
        visible=former_restrict(user, "view").count(),  # grant-first: fast, and the same number (same_rows)
        restricted=_time_list(restricted, runs),
        former=_time_list(former, runs),
        unrestricted=_time_list(unrestricted, runs),
        plan=restricted().explain(analyze=True, format="text"),
        former_plan=former().explain(analyze=True, format="text"),
        same_rows=same,
        count=_time_list(lambda: Case.objects.restrict(user, "view"), count_runs, evaluate=lambda qs: qs.count()),
        former_count=_time_list(lambda: former_restrict(user, "view"), count_runs, evaluate=lambda qs: qs.count()),
    )


def typical_investigator() -> tuple[User, dict[str, int]]:
    """A bulk investigator holding the median number of view grants, and the distribution."""
    counts = list(
        CaseUserObjectPermission.objects.filter(permission__codename="view_case", user__role=Role.INVESTIGATOR)
        .values("user")
        .annotate(n=Count("id"))
        .order_by("n")
        .values_list("user", "n")
    )
    median_user, median_n = counts[len(counts) // 2]
    stats = {"investigators with grants": len(counts), "min": counts[0][1], "median": median_n, "max": counts[-1][1]}
    return User.objects.get(pk=median_user), stats


def busiest(role: str, prefix: str = "", **filters) -> User | None:
    """The user of ``role`` (username starting with ``prefix``, matching ``filters``) who sees the most cases."""
    candidates = User.objects.filter(role=role, username__startswith=prefix, **filters).order_by("pk")
    best, best_n = None, -1
    for user in candidates[:40]:
        # Counted grant-first: the same number as restrict()'s (ListBench.same_rows checks it), but
        # restrict() walks the whole case table to count a supervisor's large scope.
        n = former_restrict(user, "view").count()
        if n > best_n:
            best, best_n = user, n
    return best


def table_sizes(limit: int = 12) -> list[tuple[str, int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_live_tup, pg_size_pretty(pg_total_relation_size(relid)) FROM pg_stat_user_tables "
            "ORDER BY pg_total_relation_size(relid) DESC LIMIT %s",
            [limit],
        )
        return cursor.fetchall()
