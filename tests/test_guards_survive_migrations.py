"""Every table the migrations guard with a trigger still has its guard once ``migrate`` is done, on
PostgreSQL and on the embedded SQLite default. SQLite rebuilds a table to change a column or a
constraint, and the rebuild drops the table's triggers unless the migration puts them back (cases
0011 and 0021 do): nothing else would notice, since the models refuse the same writes."""

import pytest
from django.db import connection

from ecase.db_triggers import existing_triggers

pytestmark = pytest.mark.django_db

# Tables whose rows are never deleted, or never changed either (cases 0002, 0007, 0011, 0013, 0017, 0018;
# audit 0003; evidence 0002, 0004).
GUARDED = (
    "cases_case",
    "cases_person",
    "cases_participant",
    "cases_proceduralact",
    "cases_deadlineextension",
    "cases_interruption",
    "cases_extensiondecision",
    "cases_personlink",
    "cases_actsanction",
    "cases_casestatuschange",
    "cases_acteffect",
    "audit_auditevent",
    "evidence_evidenceitem",
    "evidence_resumableupload",
)


def test_every_guarded_table_keeps_its_trigger_after_migrate():
    present = {table for table, _name in existing_triggers(connection)}
    missing = sorted(table for table in GUARDED if table not in present)
    assert not missing, f"guards lost on {connection.vendor}: {missing}"


def test_a_case_row_cannot_be_deleted_even_by_raw_sql(investigator):
    from django.db import IntegrityError, InternalError, transaction

    from tests.factories import register

    case = register(actor=investigator)
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_case WHERE id = %s", [case.pk])
