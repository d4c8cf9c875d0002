"""The dashboard's queues (cases/views/dashboard.py ``_acts_awaiting``, issues #15, #17): the head of unit's
approval queue and the prosecutor's agreement queue are the same acts as ``ProceduralAct.objects.restrict``
gives with the right to decide, found cases first, in a fixed number of statements; overdue agreements are
shown to the author, the head of unit and the case's prosecutor."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import Role
from cases.choices import ActStatus
from cases.models import ProceduralAct
from cases.views import dashboard as views
from tests.auth import verified_client
from tests.cases.signing_helpers import approved_act, submitted_act
from tests.factories import make_user, register


def queue(client) -> list[int]:
    return [act.pk for act in client.get("/").context["to_approve"]]


def test_the_queue_is_the_restricted_submitted_acts_in_their_order(
    case, investigator, supervisor, outsider, monkeypatch
):
    monkeypatch.setattr(views, "DASHBOARD_ROWS", 3)  # fewer than the acts: the cut must fall where the order says
    newer = register(actor=investigator, days_ago=0)
    acts = [submitted_act(c, investigator) for c in (case, newer, case, newer)]
    submitted_act(register(actor=outsider), outsider)  # another region's: never in the queue
    expected = list(
        ProceduralAct.objects.restrict(supervisor, "approve")
        .filter(status=ActStatus.SUBMITTED)
        .values_list("pk", flat=True)[:3]
    )
    assert len(expected) == 3 and set(expected) <= {a.pk for a in acts}
    assert queue(verified_client(supervisor)) == expected


def test_the_dashboard_costs_a_fixed_number_of_statements(case, investigator, supervisor):
    for c in (case, register(actor=investigator)):
        submitted_act(c, investigator)
    client = verified_client(supervisor)
    client.get("/")
    with CaptureQueriesContext(connection) as first:
        assert len(queue(client)) == 2
    submitted_act(register(actor=investigator), investigator)
    with CaptureQueriesContext(connection) as more:
        assert len(queue(client)) == 3
    # Session, user, groups, scope size, the five lists (the queue in two statements), the
    # access-log row and its chain, whatever the number of acts.
    assert len(first) == len(more), [q["sql"][:80] for q in more]
    assert len(more) <= 20, [q["sql"][:80] for q in more]


def test_an_investigator_has_no_queue_and_no_statement_for_it(case, investigator):
    submitted_act(case, investigator)
    client = verified_client(investigator)
    with CaptureQueriesContext(connection) as queries:
        assert queue(client) == []
    assert not any("cases_proceduralact" in q["sql"] and "'submitted'" in q["sql"] for q in queries)


def agreement_queue(client) -> list[int]:
    return [act.pk for act in client.get("/").context["to_agree"]]


def test_the_prosecutors_queue_is_the_acts_awaiting_their_agreement_and_nobody_elses(
    case, investigator, supervisor, prosecutor, astana
):
    other_prosecutor = make_user("other_prosecutor", Role.PROSECUTOR, astana)
    mine = register(actor=investigator, prosecutor=prosecutor)
    awaiting = [approved_act(c, investigator, supervisor) for c in (case, mine)]
    submitted_act(case, investigator)  # still the head of unit's: not the prosecutor's yet
    another = register(actor=investigator, prosecutor=other_prosecutor)
    approved_act(another, investigator, supervisor)  # another prosecutor's case
    expected = list(
        ProceduralAct.objects.restrict(prosecutor, "prosecute")
        .filter(status=ActStatus.AWAITING_AGREEMENT)
        .values_list("pk", flat=True)
    )
    assert set(expected) == {a.pk for a in awaiting}
    client = verified_client(prosecutor)
    assert agreement_queue(client) == expected
    assert queue(client) == []  # the prosecutor approves nothing
    assert agreement_queue(verified_client(supervisor)) == []  # the head of unit agrees to nothing
    # The agreement queue costs the same whatever the number of acts in it.
    with CaptureQueriesContext(connection) as first:
        agreement_queue(client)
    approved_act(register(actor=investigator, prosecutor=prosecutor), investigator, supervisor)
    with CaptureQueriesContext(connection) as more:
        assert len(agreement_queue(client)) == 3
    assert len(first) == len(more), [q["sql"][:80] for q in more]


def overdue(client) -> list[int]:
    return [act.pk for act in client.get("/").context["overdue_agreements"]]


def test_an_overdue_agreement_is_shown_to_the_author_the_head_of_unit_and_the_prosecutor(
    case, investigator, supervisor, prosecutor, colleague, outsider
):
    late, on_time = approved_act(case, investigator, supervisor), approved_act(case, investigator, supervisor)
    with connection.cursor() as cursor:  # the due time passed (no service moves a clock back)
        cursor.execute(
            "UPDATE cases_proceduralact SET agreement_due_at = %s WHERE id = %s",
            [timezone.now() - timedelta(hours=1), late.pk],
        )
    for who in (investigator, supervisor, prosecutor):
        body = verified_client(who).get("/")
        assert [a.pk for a in body.context["overdue_agreements"]] == [late.pk], who
        assert 'id="overdue-agreements"' in body.content.decode()
    assert on_time.pk not in overdue(verified_client(prosecutor))
    # Not the author and not on the case, or in another region: nothing overdue to see.
    for who in (colleague, outsider):
        assert overdue(verified_client(who)) == [], who
