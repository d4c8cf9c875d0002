"""The case search answers from indexes on PostgreSQL (issue #13 item 2, #15): no scan of every case or person.

A few thousand bulk demo cases (demo/bulk.py, the COPY loader) with fresh statistics
(ANALYZE), so the planner chooses honestly: no ``enable_seqscan = off``. At this size a scan of
a small table is sometimes cheaper than an index; the plan may still scan cases_participant
(about two rows per case), but neither the cases nor the persons.

A search is up to three statements (cases/selectors.py ``_search``): the capped candidates from
the number, article and name indexes, the capped plot matches among the user's cases (for a
supervisor from the plot's index and the scope's), then the page, either from those candidates
or, for a common term, by testing each case row the list walks. All are checked, the page in
both shapes.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from cases.choices import ParticipantRole
from cases.models import CriminalCodeArticle
from cases.selectors import CaseFilters, case_list
from cases.services.participants import participant_add
from tests.factories import make_iin, person_data, register

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="GIN and pattern-ops indexes are PostgreSQL's; SQLite reads the rows"
)

BULK_CASES = 3000
SCANS = re.compile(r"Seq Scan on (cases_case|cases_person)\s")


@pytest.fixture(scope="module")
def bulk(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo world and BULK_CASES bulk cases, in a transaction rolled back after the module."""
    from cases.reference_data import load

    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=fast, ECASE_PRIVATE_STORAGE=tmp_path_factory.mktemp("private")),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            if not CriminalCodeArticle.objects.exists():
                load(apps)
            call_command("seed_demo", "--seed", "11", "--cases", str(BULK_CASES), stdout=io.StringIO())
            investigator = User.objects.get(username="investigator.astana")
            case = register(actor=investigator, plot="Кража велосипеда из подъезда дома.")
            born = date(1979, 6, 7)
            participant_add(
                case_id=case.pk,
                actor=investigator,
                role=ParticipantRole.WITNESS,
                person_data=person_data(born=born, last_name="Қасымов", iin=make_iin(born, "M")),
            )
            with connection.cursor() as cursor:
                # What autovacuum does for a live database, which cannot run inside this transaction:
                # statistics (ANALYZE sees the transaction's own rows) and the GIN index's pending
                # list merged into the index (a long list makes the planner price the index high).
                cursor.execute("ANALYZE")
                cursor.execute("SELECT gin_clean_pending_list('case_plot_tsv')")
            yield case
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# The indexes a plot search reads: the word's, or a supervisor's scope column with the word.
PLOT_INDEXES = ("case_plot_tsv", "case_region_plot", "case_district_plot")


def plans(username: str, q: str) -> tuple[str, str, str]:
    """EXPLAIN of the candidates' statement, of the plot's among the user's cases (empty when it is
    not run) and of the page's, as the list runs them."""
    user = User.objects.get(username=username)
    with CaptureQueriesContext(connection) as queries:
        cases = case_list(user=user, filters=CaseFilters(q=q))
    statements = [query["sql"] for query in queries]
    candidates = next(sql for sql in statements if "UNION ALL" in sql)
    plot = [sql for sql in statements if "plot_tsv" in sql and "UNION ALL" not in sql]
    explained = []
    with connection.cursor() as cursor:
        for sql in (candidates, *plot):
            cursor.execute(f"EXPLAIN {sql}")
            explained.append("\n".join(row[0] for row in cursor.fetchall()))
    return explained[0], "".join(explained[1:]), cases[:26].explain()


@pytest.fixture(params=["candidates", "walk"])
def shape(request, monkeypatch):
    from cases import selectors

    if request.param == "walk":
        monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 0)  # every term counts as common
    return request.param


@pytest.mark.parametrize("username", ["investigator.astana", "supervisor.astana", "prosecutor.astana"])
def test_a_surname_search_reads_the_person_index(bulk, db, username, shape):
    candidates, plot, page = plans(username, "қасым")
    assert "person_search_name" in candidates, candidates
    for plan in (candidates, plot, page):
        assert not SCANS.search(plan), plan
    assert "hashed SubPlan" not in page, page  # a walk tests each row it reads, never every match first


@pytest.mark.parametrize(
    "username", ["investigator.astana", "supervisor.astana", "supervisor.taraz", "prosecutor.astana"]
)
def test_a_plot_search_reads_the_full_text_index(bulk, db, username, shape):
    candidates, plot, page = plans(username, "кража")
    assert "case_number_prefix" in candidates, candidates
    # The plot's matches among the user's cases: for a rare word its own index, the scope tested on
    # the few rows; for a supervisor's common word the scope's GIN index (the test below).
    assert any(index in plot for index in PLOT_INDEXES), plot
    for plan in (candidates, plot, page):
        assert not SCANS.search(plan), plan
    assert "hashed SubPlan" not in page, page


def test_a_supervisors_plot_word_is_read_with_the_region_from_one_index(bulk, db):
    """A word common in the register: its matches in the region from the GIN index over (region,
    plot vector), never the region's whole bitmap ANDed with the word's (~170,000 entries at
    1,000,000 cases); the region compared as bigint, which that index needs."""
    # A few thousand cases make the region small, and PostgreSQL rightly ANDs two small bitmaps;
    # without the other two indexes (dropped inside a savepoint) the plan shows what the GIN index
    # can do: both conditions in its index condition, which needs the region compared as bigint.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX case_region_order, case_plot_tsv")
        _, plot, _ = plans("supervisor.astana", "телефон")
        transaction.set_rollback(True)
    assert "Bitmap Index Scan on case_region_plot" in plot, plot
    assert re.search(r"Index Cond: \(\(region_unit_id = '\d+'::bigint\) AND \(plot_tsv @@ ", plot), plot


def test_the_planned_query_still_finds_the_case(bulk, db):
    investigator = User.objects.get(username="investigator.astana")
    assert bulk in set(case_list(user=investigator, filters=CaseFilters(q="қасым")))
    assert bulk in set(case_list(user=investigator, filters=CaseFilters(q="КРАЖА велосипеда")))


def test_every_index_a_comment_in_the_selectors_names_exists(db):
    source = (Path(__file__).resolve().parents[2] / "cases" / "selectors.py").read_text()
    named = set(re.findall(r"\b[Ii]ndex(?:es)?\s+([a-z][a-z0-9]*_[a-z0-9_]+)", source))
    assert {
        "case_plot_tsv",
        "case_district_plot",
        "case_region_plot",
        "person_search_name",
        "case_number_prefix",
    } <= named
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        existing = {row[0] for row in cursor.fetchall()}
    assert named <= existing, sorted(named - existing)


def test_a_supervisors_common_term_walks_the_regions_cases_by_their_column(bulk, db, monkeypatch):
    """A supervisor's scope is read from the case's region column (cases/access/scope.py): the walk of
    a common term goes down the region's own index, without a probe of the group grants per case."""
    from cases import selectors

    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 0)
    for q in ("қасым", "кража"):
        *_, page = plans("supervisor.astana", q)
        assert "case_region_order" in page, page
        assert "groupobjectpermission" not in page, page


@pytest.mark.parametrize("username", ["supervisor.astana", "supervisor.taraz", "investigator.astana"])
def test_the_scopes_plot_candidates_and_the_walk_find_the_same_cases(bulk, db, username, monkeypatch):
    """The plot's matches among the user's cases (its scope's index) and the walk that tests each row
    (every term common) return the same cases, whatever the word's share of the scope."""
    from cases import selectors

    user = User.objects.get(username=username)
    words = ("кража", "телефон", "деньги потерпевшей", "ножом", "велосипеда", "нет такого слова")

    def everything(q: str) -> list[int]:
        return list(case_list(user=user, filters=CaseFilters(q=q)).values_list("pk", flat=True))

    from_candidates = {q: everything(q) for q in words}
    assert any(from_candidates.values())
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 0)
    assert {q: everything(q) for q in words} == from_candidates
