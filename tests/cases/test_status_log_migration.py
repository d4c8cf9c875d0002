"""Migration cases.0017: the status log of existing cases, rebuilt from their history, is what the
services would have written (issue #18 item 6)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases.choices import CaseAction
from cases.models import CaseStatusChange
from cases.services.case import case_transition
from tests.cases.decrees import decree_move
from tests.factories import register

MIGRATION = ("cases", "0017_case_status_changes")
FIELDS = ("case_id", "unit_id", "action", "from_status", "to_status", "gravity", "on_date", "actor_id")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the test database is emptied with DELETE afterwards, which SQLite's no-delete triggers refuse",
)
@pytest.mark.django_db(transaction=True)
def test_the_log_rebuilt_from_history_equals_the_log_the_services_wrote(signing, investigator, outsider, prosecutor):
    cases = [register(actor=investigator, prosecutor=prosecutor, form="investigation", days_ago=n) for n in (1, 5, 9)]
    cases.append(register(actor=outsider, form="investigation"))
    for case in cases[:3]:
        case_transition(case_id=case.pk, actor=investigator, action=CaseAction.START)
    # The investigator's steps by decrees in force (issue #18).
    decree_move(cases[0], CaseAction.INTERRUPT, investigator)
    decree_move(cases[0], CaseAction.RESUME, investigator)
    decree_move(cases[1], CaseAction.SEND_TO_PROSECUTOR, investigator)
    case_transition(case_id=cases[1].pk, actor=prosecutor, action=CaseAction.RETURN, reason="Неполнота")
    decree_move(cases[2], CaseAction.TERMINATE, investigator)
    written = sorted(CaseStatusChange.objects.values_list(*FIELDS))
    assert len(written) == 4 + 3 + 2 + 2 + 1
    graph = MigrationExecutor(connection).loader.graph
    latest, before = graph.leaf_nodes(), sorted(graph.node_map[MIGRATION].parents)
    try:
        migrate([node.key for node in before if node.key[0] == "cases"])
        rebuilt = migrate([MIGRATION]).get_model("cases", "CaseStatusChange")
        assert sorted(rebuilt.objects.values_list(*FIELDS)) == written
    finally:
        migrate(latest)
