"""A case update runs at most 12 SQL statements and still locks, re-checks, records and refuses (issue #15).

What one ``case_update`` of the plot runs on PostgreSQL (before: 31 statements; the test's own
transaction turns the service's ``atomic`` into SAVEPOINT/RELEASE, counted here too):

    SAVEPOINT                               the service's transaction (BEGIN/COMMIT outside tests)
    SELECT … FOR UPDATE WHERE id IN (restrict(actor, change))   lock + scope re-check, one statement
    UPDATE cases_case …                     version raised from the locked row (checked in Python)
    INSERT cases_historicalcase …           the history row
    INSERT cases_historicalcase_group SELECT …      many-to-many snapshot, copied in the database
    INSERT cases_historicalcase_articles SELECT …
    SELECT audit_chainhead … FOR UPDATE     the case's audit chain head
    INSERT audit_auditevent …               the event, hashed onto the chain
    UPDATE audit_chainhead …
    RELEASE SAVEPOINT
                                            = 10
A new offence date adds the case's articles and their versions, read once for both days (+2 = 12).

Gone, each redundant: the four foreign-key existence checks of ``full_clean`` (the keys come from the
locked row, the database's foreign keys guarantee them); the four check constraints tested one query
and one savepoint each (restated by Case's validation, enforced by the database at the UPDATE); the
joined reads of the many-to-many rows (copied by INSERT … SELECT); the term's three reads (the edit
moves no input of the term unless the form changes); a second read of the article versions.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.services.case import case_assign, case_update
from ecase.errors import OutOfScope, StaleEdit
from tests.factories import article

MAX_STATEMENTS = 12


def version(case) -> int:
    return Case.objects.get(pk=case.pk).version


def counts(case) -> tuple[int, int]:
    return Case.history.filter(id=case.pk).count(), AuditEvent.objects.filter(case_id=case.pk).count()


def updated(case, actor, **changes):
    """Run one update, returning the statements it ran and the history rows and events it added."""
    history, events, expected = *counts(case), version(case)
    with CaptureQueriesContext(connection) as captured:
        case_update(case_id=case.pk, actor=actor, expected_version=expected, reason="Уточнение", **changes)
    history_after, events_after = counts(case)
    return [q["sql"] for q in captured.captured_queries], history_after - history, events_after - events


@pytest.fixture
def grouped_case(case, investigator, colleague, supervisor):
    """A case with a group, so that both many-to-many snapshots have rows to copy."""
    case_assign(
        case_id=case.pk,
        actor=supervisor,
        lead_investigator=investigator,
        group=[colleague],
        prosecutor=case.prosecutor,
        reason="Группа",
    )
    return case


def test_a_plot_update_runs_at_most_12_statements_and_records_one_history_row_and_one_event(
    grouped_case, investigator, colleague
):
    statements, history, events = updated(grouped_case, investigator, plot="Похитил телефон и кошелёк.")
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    assert (history, events) == (1, 1)
    row = Case.history.filter(id=grouped_case.pk).order_by("-history_id").first()
    assert row.plot == "Похитил телефон и кошелёк." and row.history_user_id == investigator.pk
    # The snapshot copied in the database is the case's articles and group as they stand.
    assert set(row.articles.values_list("article_id", flat=True)) == {article("188-1").pk}
    assert list(row.group.values_list("user_id", flat=True)) == [colleague.pk]
    event = AuditEvent.objects.filter(case_id=grouped_case.pk).order_by("-seq").first()
    assert event.data["to"] == {"plot": "Похитил телефон и кошелёк."}


def test_an_offence_date_update_runs_at_most_12_statements(grouped_case, investigator):
    day = timezone.localdate(grouped_case.registered_at) - timedelta(days=10)
    statements, history, events = updated(grouped_case, investigator, event_date=day)
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
    assert (history, events) == (1, 1)
    assert Case.objects.get(pk=grouped_case.pk).event_date == day


def test_a_stale_version_is_refused_and_nothing_written(case, investigator):
    stale = version(case)
    case_update(case_id=case.pk, actor=investigator, expected_version=stale, reason="Первая", plot="Первая версия.")
    before = counts(case)
    with pytest.raises(StaleEdit):
        case_update(case_id=case.pk, actor=investigator, expected_version=stale, reason="Вторая", plot="Вторая.")
    assert counts(case) == before and Case.objects.get(pk=case.pk).plot == "Первая версия."


def test_an_actor_out_of_scope_is_refused_and_nothing_written(case, outsider):
    before, plot = counts(case), case.plot
    with pytest.raises(OutOfScope):
        case_update(case_id=case.pk, actor=outsider, expected_version=version(case), reason="Чужое", plot="Чужая.")
    assert counts(case) == before and Case.objects.get(pk=case.pk).plot == plot


def test_validation_still_refuses_a_blank_plot_and_a_future_offence(case, investigator):
    before, plot = counts(case), case.plot
    with pytest.raises(ValidationError) as refused:
        case_update(case_id=case.pk, actor=investigator, expected_version=version(case), reason="Пусто", plot="   ")
    assert "plot" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        case_update(
            case_id=case.pk,
            actor=investigator,
            expected_version=version(case),
            reason="Дата",
            event_date=timezone.localdate() + timedelta(days=2),
        )
    assert "event_date" in refused.value.message_dict
    assert counts(case) == before and Case.objects.get(pk=case.pk).plot == plot


def test_a_new_form_of_proceedings_still_moves_the_term(case, investigator):
    old = Case.objects.get(pk=case.pk).deadline
    case_update(
        case_id=case.pk,
        actor=investigator,
        expected_version=version(case),
        reason="Форма",
        proceedings_form="investigation",
    )
    assert Case.objects.get(pk=case.pk).deadline != old
