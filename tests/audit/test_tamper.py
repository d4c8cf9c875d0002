"""Tampering with raw SQL against (a copy of) the data: the database refuses it, verify_audit catches it.

The suite connects as PostgreSQL's superuser, which is what a database owner turned attacker
would be: the tests first show that the triggers refuse the edit even to it, then switch the
triggers off (``session_replication_role = replica``) and show that ``verify_audit`` finds it.
"""

import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.db import IntegrityError, ProgrammingError, transaction

from audit.choices import EventType
from audit.heads import heads_document, load_heads, merge_heads
from audit.history_seal import write_checkpoint
from audit.models import AuditEvent, chain_for_case, link_hash
from audit.services import audit_record
from audit.verify import verify
from cases.models import Case
from ecase.history import HardDeleteError, HistoryBypassError
from tests.audit.helpers import chain_rows, database_owner, sql

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(case, investigator):
    """The case's chain with ten events after its registration, and one event in the global chain."""
    for n in range(10):
        audit_record(actor=investigator, event=EventType.CASE_OPENED, case_id=case.pk, data={"n": n})
    audit_record(actor=investigator, event=EventType.LOGIN)
    assert verify().ok
    return chain_for_case(case.pk)


def only_finding(report):
    assert not report.ok, "verification should have failed"
    return report.findings[0]


# --- the database refuses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET actor_label = 'someone_else' WHERE chain = %s",
        "UPDATE audit_auditevent SET data = '{}' WHERE chain = %s",
        "DELETE FROM audit_auditevent WHERE chain = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_audit_event(trail, statement):
    before = [(e.pk, e.hash, e.actor_label) for e in chain_rows(trail)]
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        sql(statement, [trail])
    assert [(e.pk, e.hash, e.actor_label) for e in chain_rows(trail)] == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_chainhead SET seq = seq - 1 WHERE chain = %s",
        "UPDATE audit_chainhead SET hash = repeat('a', 64) WHERE chain = %s",
        "DELETE FROM audit_chainhead WHERE chain = %s",
    ],
)
def test_the_database_refuses_to_roll_back_or_delete_a_chain_head(trail, statement):
    with pytest.raises(IntegrityError, match="chain head"), transaction.atomic():
        sql(statement, [trail])


def test_a_new_chain_head_cannot_start_anywhere_but_at_the_beginning(db):
    with pytest.raises(IntegrityError, match="starts empty"), transaction.atomic():
        sql("INSERT INTO audit_chainhead (chain, seq, hash) VALUES ('case:99', 5, repeat('b', 64))")


@pytest.mark.parametrize("table", ["cases_historicalcase", "cases_historicalcase_articles", "accounts_historicaluser"])
@pytest.mark.parametrize("verb", ["UPDATE", "DELETE"])
def test_the_database_refuses_to_change_or_delete_history_rows(case, table, verb):
    statement = {
        "UPDATE": f"UPDATE {table} SET history_id = history_id"
        if "articles" in table
        else f"UPDATE {table} SET history_change_reason = 'rewritten'",
        "DELETE": f"DELETE FROM {table}",
    }[verb]
    with pytest.raises(IntegrityError, match="history"), transaction.atomic():
        sql(statement)


def test_history_rows_cannot_be_deleted_or_updated_through_the_orm_either(case):
    count = Case.history.count()
    with pytest.raises(HardDeleteError):
        Case.history.all().delete()
    with pytest.raises(HardDeleteError):
        Case.history.filter(id=case.pk).delete()
    with pytest.raises(HistoryBypassError):
        Case.history.filter(id=case.pk).update(history_change_reason="rewritten")
    assert Case.history.count() == count


def test_the_applications_restricted_role_may_append_but_not_change_or_delete(trail, investigator):
    """The role production runs as (docs/AUDIT.md, ``manage.py audit_db_role``) holds no UPDATE or DELETE."""
    role = f"ecase_app_{uuid.uuid4().hex[:8]}"
    out = io.StringIO()
    call_command("audit_db_role", role, stdout=out)
    with transaction.atomic():
        sql(f"CREATE ROLE {role} NOLOGIN")
        sql(out.getvalue())
        sql(f"SET LOCAL ROLE {role}")
        event = audit_record(actor=investigator, event=EventType.CASE_OPENED, case_id=int(trail[5:]))
        for statement in (
            "UPDATE audit_auditevent SET actor_label = 'x' WHERE id = %s",
            "DELETE FROM audit_auditevent WHERE id = %s",
            "TRUNCATE audit_auditevent CASCADE",
            "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
            "SET session_replication_role = replica",
        ):
            with pytest.raises((IntegrityError, ProgrammingError)), transaction.atomic():
                sql(statement, [event.pk] if "%s" in statement else [])
        transaction.set_rollback(True)


# --- verify_audit catches it -----------------------------------------------------------------------


def test_changing_one_field_of_an_event_is_caught(trail):
    victim = chain_rows(trail)[4]
    with database_owner():
        sql("UPDATE audit_auditevent SET data = jsonb_set(data, '{n}', '99') WHERE id = %s", [victim.pk])
    finding = only_finding(verify())
    assert (finding.chain, finding.seq, finding.event_id) == (trail, victim.seq, victim.pk)
    assert "changed" in finding.message


@pytest.mark.parametrize(
    "column, value",
    [
        ("actor_label", "'supervisor'"),
        ("occurred_at", "occurred_at - interval '1 hour'"),
        ("outcome", "'denied'"),
        ("ip", "'10.0.0.1'"),
        ("event", "'case.changed'"),
        ("case_id", "case_id + 1"),
    ],
)
def test_changing_any_column_is_caught(trail, column, value):
    victim = chain_rows(trail)[2]
    with database_owner():
        sql(f"UPDATE audit_auditevent SET {column} = {value} WHERE id = %s", [victim.pk])
    assert only_finding(verify()).seq == victim.seq


def test_deleting_an_event_is_caught(trail):
    victim = chain_rows(trail)[5]
    with database_owner():
        sql("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    finding = only_finding(verify())
    assert (finding.chain, finding.seq) == (trail, victim.seq + 1)
    assert f"expected seq {victim.seq}" in finding.message


def test_inserting_a_forged_event_is_caught(trail, investigator):
    """A forged event slipped in after seq 3, hashed correctly onto it, later events renumbered."""
    events = chain_rows(trail)
    anchor = events[2]
    with database_owner():
        sql("UPDATE audit_auditevent SET seq = seq + 1000 WHERE chain = %s AND seq > %s", [trail, anchor.seq])
        sql("UPDATE audit_auditevent SET seq = seq - 999 WHERE chain = %s AND seq > 1000", [trail])
        forged = AuditEvent(
            chain=trail,
            seq=anchor.seq + 1,
            occurred_at=anchor.occurred_at,
            event=EventType.CASE_OPENED,
            outcome="ok",
            actor=investigator,
            actor_label="supervisor",
            case_id=anchor.case_id,
            data={"n": -1},
            prev_hash=anchor.hash,
        )
        forged.hash = forged.compute_hash()
        forged.save(force_insert=True)
    finding = only_finding(verify())
    assert (finding.chain, finding.seq) == (trail, anchor.seq + 2)
    assert "prev_hash" in finding.message


def test_a_forged_event_appended_at_the_end_is_caught_by_the_head(trail, investigator):
    last = chain_rows(trail)[-1]
    with database_owner():
        forged = AuditEvent(
            chain=trail,
            seq=last.seq + 1,
            occurred_at=last.occurred_at,
            event=EventType.CASE_OPENED,
            actor_label="ghost",
            case_id=last.case_id,
            data={},
            prev_hash=last.hash,
        )
        forged.hash = forged.compute_hash()
        forged.save(force_insert=True)
    finding = only_finding(verify())
    assert finding.chain == trail and "runs to seq" in finding.message


def test_reordering_two_events_is_caught(trail):
    events = chain_rows(trail)
    first, second = events[6], events[7]
    with database_owner():
        sql("UPDATE audit_auditevent SET seq = 0 WHERE id = %s", [first.pk])
        sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [first.seq, second.pk])
        sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [second.seq, first.pk])
    finding = only_finding(verify())
    assert (finding.chain, finding.seq) == (trail, first.seq)


def test_truncating_the_tail_is_caught_by_the_head_row(trail):
    with database_owner():
        sql("DELETE FROM audit_auditevent WHERE chain = %s AND seq > 8", [trail])
    finding = only_finding(verify())
    assert finding.chain == trail and "removed" in finding.message


def test_truncating_the_tail_and_the_head_row_is_caught_by_exported_heads(trail, tmp_path):
    exported = tmp_path / "heads.json"
    exported.write_text(json.dumps(heads_document()))
    cut = chain_rows(trail)[7]
    with database_owner():
        sql("DELETE FROM audit_auditevent WHERE chain = %s AND seq > %s", [trail, cut.seq])
        sql("UPDATE audit_chainhead SET seq = %s, hash = %s WHERE chain = %s", [cut.seq, cut.hash, trail])
    assert verify().ok, "without a copy held outside the database a consistent cut cannot be seen"
    with exported.open() as stream:
        finding = only_finding(verify(external_heads=merge_heads(load_heads(stream))))
    assert finding.chain == trail and "cut off" in finding.message


def test_rewriting_a_chain_consistently_is_caught_by_exported_heads(trail, tmp_path):
    """The owner recomputes every hash from a changed event on: only a head kept elsewhere shows it."""
    heads = merge_heads(load_heads(io.StringIO(json.dumps(heads_document()))))
    events = chain_rows(trail)
    with database_owner():
        previous = events[2].hash
        for event in events[3:]:
            if event.seq == 4:
                event.data = {"n": "rewritten"}
            event.prev_hash = previous
            event.hash = link_hash(previous, event.canonical())
            sql(
                "UPDATE audit_auditevent SET data = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [json.dumps(event.data), event.prev_hash, event.hash, event.pk],
            )
            previous = event.hash
        sql("UPDATE audit_chainhead SET hash = %s WHERE chain = %s", [previous, trail])
    assert verify().ok
    finding = only_finding(verify(external_heads=heads))
    assert finding.chain == trail and "rewritten" in finding.message


def test_a_disabled_trigger_is_reported(trail):
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # deferred foreign-key checks would block the ALTER
    sql("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
    finding = only_finding(verify())
    assert finding.chain == "triggers" and "disabled" in finding.message


# --- the sealed history ------------------------------------------------------------------------


def test_a_changed_history_row_is_caught_after_its_checkpoint(case, investigator):
    assert write_checkpoint().event is not None
    assert verify().ok
    with database_owner():
        sql("UPDATE cases_historicalcase SET history_change_reason = 'rewritten' WHERE id = %s", [case.pk])
    finding = only_finding(verify())
    assert (
        finding.chain == "history" and "cases_historicalcase rows" in finding.message and "changed" in finding.message
    )


def test_a_deleted_history_row_is_caught_after_its_checkpoint(case):
    write_checkpoint()
    with database_owner():
        sql("DELETE FROM cases_historicalcase_articles")
    finding = only_finding(verify())
    assert "cases_historicalcase_articles" in finding.message and "deleted or inserted" in finding.message


def test_checkpoints_tile_the_history(case, investigator, prosecutor):
    from tests.factories import register

    first = write_checkpoint()
    assert write_checkpoint().event is None  # nothing new to seal
    register(actor=investigator, prosecutor=prosecutor)
    second = write_checkpoint()
    seal = second.event.data["tables"]["cases_historicalcase"]
    assert seal["after"] == first.event.data["tables"]["cases_historicalcase"]["upto"]
    report = verify()
    assert report.ok and report.history_rows == first.rows + second.rows and report.history_unsealed == 0


# --- the command ---------------------------------------------------------------------------------


def test_verify_audit_exits_0_when_intact_and_1_naming_the_first_broken_event(trail, case):
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()
    call_command("verify_audit", "--case", case.registration_number, stdout=out)
    victim = chain_rows(trail)[3]
    with database_owner():
        sql("UPDATE audit_auditevent SET actor_label = 'x' WHERE id = %s", [victim.pk])
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit", "--case", case.registration_number, stderr=err)
    assert exit_.value.code == 1
    assert f"first broken: {trail} seq {victim.seq} (event id {victim.pk})" in err.getvalue()


def test_verify_audit_reads_exported_heads(trail, tmp_path):
    path = tmp_path / "heads.json"
    call_command("audit_heads", "--output", str(path), stderr=io.StringIO())
    assert trail in load_heads(path.open())
    with database_owner():
        sql("DELETE FROM audit_auditevent WHERE chain = %s AND seq > 2", [trail])
        sql("DELETE FROM audit_chainhead WHERE chain = %s", [trail])
    with pytest.raises(SystemExit):
        call_command("verify_audit", "--heads", str(path), stderr=io.StringIO())


# --- the periodic task ---------------------------------------------------------------------------


def test_the_periodic_task_records_a_verification_and_raises_an_alert_on_failure(trail, caplog, settings):
    from audit.tasks import verify_trail

    assert settings.CELERY_BEAT_SCHEDULE["audit-verify-trail"]["task"] == verify_trail.name
    assert verify_trail() is True
    verified = AuditEvent.objects.get(event=EventType.AUDIT_VERIFIED)
    assert verified.chain == "global" and verified.data["events"] > 10 and verified.data["checkpoint"] is not None
    victim = chain_rows(trail)[1]
    with database_owner():
        sql("UPDATE audit_auditevent SET actor_label = 'x' WHERE id = %s", [victim.pk])
    with caplog.at_level("CRITICAL", logger="ecase.audit"):
        assert verify_trail() is False
    alert = AuditEvent.objects.get(event=EventType.AUDIT_ALERT)
    assert alert.outcome == "failed" and f"{trail} seq {victim.seq}" in alert.data["findings"][0]
    assert any(r.levelname == "CRITICAL" for r in caplog.records)


@pytest.mark.parametrize("value", ["", "   "])
def test_verify_audit_refuses_an_empty_case_rather_than_checking_everything(trail, value):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--case needs"):
        call_command("verify_audit", "--case", value, stdout=io.StringIO())
