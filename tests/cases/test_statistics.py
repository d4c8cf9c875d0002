"""The statistics report (issue #18 item 6): decisions in a period per unit, article and gravity.

The counts come from the status log the services append to (cases/models/status_log.py) over the
reader's own ``restrict`` scope; they are checked against the case list of the same reader and
against counts made directly in SQL.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Unit
from audit.models import AuditEvent
from cases import access
from cases.choices import CaseAction, CaseStatus, Gravity
from cases.models import Case, CaseStatusChange
from cases.models.workflow import AppendOnlyError
from cases.selectors import CaseFilters, case_list
from cases.services.case import case_transition
from cases.statistics import COLUMNS, case_statistics
from tests.auth import age_second_factor, verified_client
from tests.cases.decrees import decree_move
from tests.factories import register

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
REGISTERED, INTERRUPTED, TERMINATED, SENT, RETURNED = range(5)


def scope(user):
    return Case.objects.restrict(user, access.VIEW)


@pytest.fixture
def decided(signing, investigator, outsider, prosecutor):
    """Four cases of the investigator's unit and one of another region, moved through their decisions."""
    theft = register(actor=investigator, prosecutor=prosecutor, form="investigation", days_ago=3)
    fraud = register(actor=investigator, prosecutor=prosecutor, articles=("190-2", "188-1"), form="investigation")
    robbery = register(actor=investigator, prosecutor=prosecutor, articles=("191-1",), form="investigation")
    old = register(actor=investigator, prosecutor=prosecutor, form="investigation", days_ago=60)
    foreign = register(actor=outsider, form="investigation")
    for case in (theft, fraud, robbery, old, foreign):
        case_transition(case_id=case.pk, actor=case.lead_investigator, action=CaseAction.START)
    # The investigator's steps are decrees in force (issue #18); the return is the prosecutor's decision.
    decree_move(theft, CaseAction.INTERRUPT, investigator, ground="expertise", justification="Экспертиза")
    decree_move(fraud, CaseAction.TERMINATE, investigator, ground="reconciliation", justification="Примирение")
    decree_move(robbery, CaseAction.SEND_TO_PROSECUTOR, investigator)
    case_transition(case_id=robbery.pk, actor=prosecutor, action=CaseAction.RETURN, reason="Неполнота")
    return {"theft": theft, "fraud": fraud, "robbery": robbery, "old": old, "foreign": foreign}


def test_every_registration_and_decision_is_logged_with_its_day_unit_and_gravity(decided, investigator):
    robbery = decided["robbery"]
    log = list(
        robbery.status_changes.values_list("action", "from_status", "to_status", "on_date", "unit_id", "gravity")
    )
    assert log == [
        ("register", "", CaseStatus.REGISTERED, TODAY - timedelta(days=1), investigator.unit_id, robbery.gravity),
        (
            CaseAction.START,
            CaseStatus.REGISTERED,
            CaseStatus.INVESTIGATING,
            TODAY,
            investigator.unit_id,
            robbery.gravity,
        ),
        (
            CaseAction.SEND_TO_PROSECUTOR,
            CaseStatus.INVESTIGATING,
            CaseStatus.SENT_TO_PROSECUTOR,
            TODAY,
            investigator.unit_id,
            robbery.gravity,
        ),
        (
            CaseAction.RETURN,
            CaseStatus.SENT_TO_PROSECUTOR,
            CaseStatus.INVESTIGATING,
            TODAY,
            investigator.unit_id,
            robbery.gravity,
        ),
    ]
    # Every decision names its signed act, whose author made it: the prosecutor's return, the investigator's
    # report on completion (issue #18); registration and acceptance are no decree.
    for change in robbery.status_changes.exclude(action__in=["register", CaseAction.START]):
        assert change.decision_act is not None and change.decision_act.author_id == change.actor_id
    assert not robbery.status_changes.filter(action__in=["register", CaseAction.START], decision_act__isnull=False)
    # The day of an interruption is the day its decree names, not the day it came into force.
    past = TODAY - timedelta(days=2)
    decree_move(decided["old"], CaseAction.INTERRUPT, investigator, interrupted_from=past.isoformat())
    assert decided["old"].status_changes.get(action=CaseAction.INTERRUPT).on_date == past


def test_the_log_is_append_only_in_the_model_and_in_the_database(decided):
    change = decided["fraud"].status_changes.first()
    change.on_date = TODAY - timedelta(days=400)
    with pytest.raises(AppendOnlyError):
        change.save()
    for statement in (
        "UPDATE cases_casestatuschange SET on_date = on_date WHERE id = %s",
        "DELETE FROM cases_casestatuschange WHERE id = %s",
    ):
        with pytest.raises((IntegrityError, InternalError)), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [change.pk])
    assert CaseStatusChange.objects.filter(pk=change.pk, on_date=TODAY - timedelta(days=1)).exists()


def test_the_report_counts_cases_per_decision_in_the_readers_scope_only(decided, investigator, outsider, supervisor):
    week = {"start": TODAY - timedelta(days=7), "end": TODAY}
    mine = case_statistics(scope(investigator), by="unit", **week)
    assert [row.label.split(" — ")[0] for row in mine.rows] == [investigator.unit.code]
    # theft, fraud, robbery registered this week (the old case two months ago); one of each decision.
    assert mine.total == (3, 1, 1, 1, 1)
    assert mine.rows[0].counts == mine.total
    # The other region's investigator counts his own case only; the supervisor of the unit, the unit's.
    assert case_statistics(scope(outsider), by="unit", **week).total == (1, 0, 0, 0, 0)
    assert case_statistics(scope(supervisor), by="unit", **week).total == (3, 1, 1, 1, 1)
    # A period before anything happened counts nothing.
    empty = case_statistics(
        scope(investigator), by="unit", start=TODAY - timedelta(days=90), end=TODAY - timedelta(days=70)
    )
    assert empty.rows == [] and empty.total == (0, 0, 0, 0, 0)


def test_the_figures_reconcile_with_the_case_list_of_the_same_reader(decided, investigator, supervisor):
    start, end = TODAY - timedelta(days=7), TODAY
    for reader in (investigator, supervisor):
        report = case_statistics(scope(reader), by="unit", start=start, end=end)
        listed = case_list(user=reader)
        registered = [c for c in listed if start <= timezone.localdate(c.registered_at) <= end]
        assert report.total[REGISTERED] == len(registered)
        # No case was reopened or resumed: each decided case still shows the status its decision gave it.
        assert (
            report.total[TERMINATED]
            == case_list(user=reader, filters=CaseFilters(status=CaseStatus.TERMINATED)).count()
        )
        assert (
            report.total[INTERRUPTED]
            == case_list(user=reader, filters=CaseFilters(status=CaseStatus.INTERRUPTED)).count()
        )


def test_by_article_a_case_counts_under_each_of_its_articles_and_once_in_the_total(decided, investigator):
    report = case_statistics(scope(investigator), by="article", start=TODAY - timedelta(days=7), end=TODAY)
    rows = {row.label.split(" — ")[0]: row.counts for row in report.rows}
    # fraud is qualified under 190-2 and 188-1, theft under 188-1: 188-1 has two registrations.
    assert rows["ч. 1 ст. 188"][REGISTERED] == 2
    assert rows["ч. 2 ст. 190"][REGISTERED] == rows["ч. 1 ст. 191"][REGISTERED] == 1
    assert rows["ч. 2 ст. 190"][TERMINATED] == rows["ч. 1 ст. 188"][TERMINATED] == 1
    assert sum(counts[REGISTERED] for counts in rows.values()) == 4 and report.total[REGISTERED] == 3


def test_by_gravity_the_rows_follow_the_gravity_the_decision_was_taken_under(decided, investigator):
    report = case_statistics(scope(investigator), by="gravity", start=TODAY - timedelta(days=7), end=TODAY)
    by_label = {row.label: row.counts for row in report.rows}
    expected: dict[str, int] = {}
    for case in (decided["theft"], decided["fraud"], decided["robbery"]):
        label = str(Gravity(case.gravity).label)
        expected[label] = expected.get(label, 0) + 1
    assert {label: counts[REGISTERED] for label, counts in by_label.items()} == expected


def test_the_page_shows_the_table_and_the_chart_and_audits_the_read(decided, investigator):
    client = verified_client(investigator)
    response = client.get(reverse("cases:statistics"), {"start": TODAY - timedelta(days=7), "end": TODAY, "by": "unit"})
    assert response.status_code == 200
    html = response.content.decode()
    assert investigator.unit.code in html and "<svg" in html and "<rect" in html
    event = AuditEvent.objects.filter(actor=investigator, event="case.statistics").latest("pk")
    assert event.data["by"] == "unit" and event.data["grave_hidden"] is False


def test_the_csv_holds_the_same_figures_and_no_cell_a_spreadsheet_would_run(decided, investigator):
    Unit.objects.filter(pk=investigator.unit_id).update(name_ru='=HYPERLINK("http://x")')
    client = verified_client(investigator)
    params = {"start": TODAY - timedelta(days=7), "end": TODAY, "by": "unit", "format": "csv"}
    response = client.get(reverse("cases:statistics"), params)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][1:] == [str(label) for _a, label in COLUMNS]
    assert [int(n) for n in rows[-1][1:]] == [3, 1, 1, 1, 1]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-12-05", "end": "2026-12-01", "by": "unit"},  # ends before it starts
        {"start": "2026-12-01", "end": "2999-01-01", "by": "unit"},  # ends in the future
        {"start": "01.12.2026", "end": "2026-12-05", "by": "unit"},  # not a date the form takes
        {"start": "2026-12-01", "end": "2026-12-05", "by": "investigator"},  # no such rows
    ],
)
def test_bad_input_gets_a_clear_error_and_nothing_is_counted_or_audited(investigator, params):
    client = verified_client(investigator)
    before = AuditEvent.objects.filter(event="case.statistics").count()
    response = client.get(reverse("cases:statistics"), params)
    assert response.status_code == 400
    assert b'class="errors"' in response.content or b"errorlist" in response.content
    assert AuditEvent.objects.filter(event="case.statistics").count() == before


def test_an_administrator_gets_no_counts(admin):
    assert verified_client(admin).get(reverse("cases:statistics")).status_code == 403


def test_grave_cases_are_counted_only_with_a_fresh_second_factor(investigator, supervisor):
    register(actor=investigator, articles=("99-1",), form="investigation", supervisor=supervisor)
    register(actor=investigator, form="investigation")
    params = {"start": TODAY - timedelta(days=7), "end": TODAY, "by": "gravity"}
    fresh = verified_client(investigator).get(reverse("cases:statistics"), params)
    stale = age_second_factor(verified_client(investigator)).get(reverse("cases:statistics"), params)
    assert fresh.context["report"].total[REGISTERED] == 2
    assert stale.context["report"].total[REGISTERED] == 1 and stale.context["grave_hidden"]


def test_the_report_runs_a_fixed_number_of_queries_whatever_the_number_of_cases(
    investigator, django_assert_max_num_queries
):
    for n in range(6):
        register(actor=investigator, form="investigation", days_ago=1 + n)
    with django_assert_max_num_queries(3):  # the groups, their units' names, the total
        case_statistics(scope(investigator), by="unit", start=TODAY - timedelta(days=30), end=TODAY)
