"""The dashboard's approval queue (cases/views/dashboard.py ``_acts_to_approve``, issue #15): the same acts as
``ProceduralAct.objects.restrict(user, "approve")`` gives, found cases first, in a fixed number of statements."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.choices import ActStatus
from cases.models import ProceduralAct
from cases.views import dashboard as views
from tests.auth import verified_client
from tests.cases.signing_helpers import submitted_act
from tests.factories import register


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
