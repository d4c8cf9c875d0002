"""Audit events form hash chains: one per case, one global; a change to any recorded field shows."""

import threading
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError, InternalError, ProgrammingError
from django.utils import timezone

from audit.choices import EventType, Outcome
from audit.context import Origin, current_origin
from audit.models import GENESIS_HASH, GLOBAL_CHAIN, AuditEvent, ChainHead
from audit.services import audit_record
from audit.verify import verify

# audit imports no other app: a case is just a number to it, so these tests need no case rows.
CASE_ID = 4_000_001


@contextmanager
def origin(ip=None, request_id=""):
    """What the request middleware sets: the address and request id audit rows record."""
    token = current_origin.set(Origin(ip=ip, request_id=request_id))
    try:
        yield
    finally:
        current_origin.reset(token)


def chain_of(name):
    return list(AuditEvent.objects.filter(chain=name).order_by("seq"))


def assert_unbroken(events):
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    previous = GENESIS_HASH
    for event in events:
        assert event.prev_hash == previous, f"link {event.seq} does not point at {event.seq - 1}"
        assert event.compute_hash() == event.hash, f"event {event.seq} does not hash to its stored hash"
        previous = event.hash


def test_it_appends_case_events_to_the_cases_chain_in_order(investigator):
    recorded = [
        audit_record(actor=investigator, event=EventType.CASE_OPENED, case_id=CASE_ID, data={"n": n}) for n in range(3)
    ]
    assert {e.chain for e in recorded} == {f"case:{CASE_ID}"}
    assert [e.seq for e in recorded] == [1, 2, 3]
    assert recorded[0].prev_hash == GENESIS_HASH
    assert recorded[1].prev_hash == recorded[0].hash
    assert recorded[2].prev_hash == recorded[1].hash
    assert len({e.hash for e in recorded}) == 3
    stored = chain_of(f"case:{CASE_ID}")
    assert [e.pk for e in stored] == [e.pk for e in recorded]
    assert_unbroken(stored)
    head = ChainHead.objects.get(chain=f"case:{CASE_ID}")
    assert (head.seq, head.hash) == (3, recorded[2].hash)


def test_a_stored_event_hashes_to_its_stored_hash_after_the_round_trip(investigator):
    record_time = timezone.now()
    with origin(ip="10.12.0.7", request_id="req-7f3a"):
        record = audit_record(
            actor=investigator,
            event=EventType.FILE_DOWNLOADED,
            case_id=CASE_ID,
            outcome=Outcome.OK,
            data={
                "name": "Протокол допроса — Әсем Қасымова.pdf",
                "size": 123456,
                "nested": {"b": [1, 2.5, None], "a": True},
                "when": record_time,
                "amount": Decimal("1500.50"),
            },
        )
    stored = AuditEvent.objects.get(pk=record.pk)
    assert (stored.ip, stored.request_id) == ("10.12.0.7", "req-7f3a")
    assert stored.hash == record.hash
    assert stored.compute_hash() == stored.hash
    assert stored.data["when"] == str(record_time)
    assert stored.actor == investigator and stored.actor_label == "investigator"


def test_events_without_a_case_go_to_their_actors_chain_and_the_systems_to_the_global_one(investigator, supervisor):
    # A list or search request of one person must not queue behind everybody else's: each person's
    # events outside a case are their own chain; only actorless events share the global one.
    head = ChainHead.objects.filter(chain=GLOBAL_CHAIN).first()
    start_seq, start_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    with origin(ip="192.168.1.20", request_id="req-login"):
        first = audit_record(actor=investigator, event=EventType.LOGIN)
    listed = audit_record(actor=investigator, event=EventType.CASES_LISTED, data={"cases": []})
    other = audit_record(actor=supervisor, event=EventType.CASES_LISTED, data={"cases": []})
    failed = audit_record(
        actor=None, event=EventType.LOGIN_FAILED, outcome=Outcome.DENIED, data={"username": "investigator"}
    )
    own = f"actor:{investigator.pk}"
    assert first.chain == listed.chain == own and other.chain == f"actor:{supervisor.pk}"
    assert listed.seq == first.seq + 1 and listed.prev_hash == first.hash
    assert failed.chain == GLOBAL_CHAIN and (failed.seq, failed.prev_hash) == (start_seq + 1, start_hash)
    assert failed.actor is None and failed.actor_label == "system"
    assert first.case_id is None and first.actor == investigator
    assert not AuditEvent.objects.filter(chain__startswith="case:", pk__in=[first.pk, failed.pk]).exists()
    for chain in (own, f"actor:{supervisor.pk}", GLOBAL_CHAIN):
        assert_unbroken(chain_of(chain))
    assert not verify(chain=own).findings


def test_chains_of_different_cases_are_numbered_independently(investigator):
    audit_record(actor=investigator, event=EventType.CASE_OPENED, case_id=CASE_ID)
    audit_record(actor=investigator, event=EventType.CASE_OPENED, case_id=CASE_ID)
    other = audit_record(actor=investigator, event=EventType.CASE_OPENED, case_id=CASE_ID + 1)
    assert (other.chain, other.seq, other.prev_hash) == (f"case:{CASE_ID + 1}", 1, GENESIS_HASH)


def test_it_records_what_the_target_is(investigator, astana):
    record = audit_record(actor=investigator, event=EventType.PERMISSION_GRANTED, target=astana)
    assert (record.target_type, record.target_id) == ("accounts.unit", str(astana.pk))


def test_a_failed_write_leaves_no_gap_in_the_chain(investigator):
    audit_record(actor=investigator, event=EventType.CASE_OPENED, case_id=CASE_ID)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            audit_record(actor=investigator, event=EventType.CASE_CHANGED, case_id=CASE_ID)
            raise RuntimeError("the service failed after auditing")
    last = audit_record(actor=investigator, event=EventType.CASE_CHANGED, case_id=CASE_ID)
    assert last.seq == 2
    assert_unbroken(chain_of(f"case:{CASE_ID}"))


# --- tampering ---------------------------------------------------------------------------------

TAMPERINGS = {
    "chain": lambda e: setattr(e, "chain", f"case:{CASE_ID + 9}"),
    "seq": lambda e: setattr(e, "seq", e.seq + 1),
    "occurred_at": lambda e: setattr(e, "occurred_at", e.occurred_at - timedelta(microseconds=1)),
    "event": lambda e: setattr(e, "event", EventType.CASE_CHANGED),
    "outcome": lambda e: setattr(e, "outcome", Outcome.DENIED),
    "actor": lambda e: setattr(e, "actor_id", None),
    "actor_label": lambda e: setattr(e, "actor_label", "supervisor"),
    "case_id": lambda e: setattr(e, "case_id", CASE_ID + 1),
    "target_type": lambda e: setattr(e, "target_type", "cases.case"),
    "target_id": lambda e: setattr(e, "target_id", "2"),
    "request_id": lambda e: setattr(e, "request_id", "req-forged"),
    "ip": lambda e: setattr(e, "ip", "10.12.0.8"),
    "data_value": lambda e: e.data.update(reason="Изъято по постановлению"),
    "data_new_key": lambda e: e.data.update(extra=1),
    "data_removed_key": lambda e: e.data.pop("reason"),
    "data_type": lambda e: e.data.update(number="1"),
    "prev_hash": lambda e: setattr(e, "prev_hash", "f" * 64),
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_changing_any_recorded_field_changes_the_hash(investigator, tamper):
    audit_record(actor=investigator, event=EventType.CASE_OPENED, case_id=CASE_ID)
    with origin(ip="10.12.0.7", request_id="req-1"):
        record = audit_record(
            actor=investigator,
            event=EventType.EVIDENCE_WITHDRAWN,
            case_id=CASE_ID,
            target=investigator,
            data={"number": 1, "reason": "Внесён ошибочно"},
        )
    stored = AuditEvent.objects.get(pk=record.pk)
    assert stored.compute_hash() == stored.hash
    tamper(stored)
    assert stored.compute_hash() != stored.hash


def test_a_row_changed_in_the_database_is_refused_or_no_longer_matches_its_hash(investigator):
    record = audit_record(
        actor=investigator, event=EventType.FILE_DOWNLOADED, case_id=CASE_ID, data={"name": "протокол.pdf"}
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", ["someone_else", record.pk])
    except (IntegrityError, InternalError, ProgrammingError):
        assert AuditEvent.objects.get(pk=record.pk).actor_label == "investigator"  # the database refused it
    else:
        stored = AuditEvent.objects.get(pk=record.pk)
        assert stored.actor_label == "someone_else"
        assert stored.compute_hash() != stored.hash


# --- values PostgreSQL would re-spell or refuse --------------------------------------------------


def test_an_event_with_a_long_form_ipv6_address_still_matches_its_hash(db):
    with origin(ip="2001:0db8:0000:0000:0000:0000:0000:0001", request_id="req-v6"):
        record = audit_record(actor=None, event=EventType.LOGIN_FAILED)
    stored = AuditEvent.objects.get(pk=record.pk)
    assert stored.compute_hash() == stored.hash


def test_an_event_whose_data_holds_a_nul_character_is_recorded(db):
    record = audit_record(
        actor=None, event=EventType.LOGIN_FAILED, data={"username": "admin\x00", "ratio": 1e300, "bad": float("nan")}
    )
    stored = AuditEvent.objects.get(pk=record.pk)
    assert stored.compute_hash() == stored.hash
    assert stored.data["username"] == "admin\ufffd"


# --- concurrency -------------------------------------------------------------------------------


# available_apps: the flush after this test empties the audit tables only, so the reference data
# loaded by migrations (articles, act types) survives for the transactional tests that follow.
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, available_apps=["audit"])
def test_twenty_concurrent_writers_extend_one_case_chain_without_gaps_or_forks():
    writers, errors = 20, []
    start = threading.Barrier(writers)

    def write(n):
        try:
            start.wait(timeout=30)
            audit_record(
                actor=None, event=EventType.CASE_OPENED, case_id=CASE_ID, actor_label=f"worker-{n}", data={"writer": n}
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    assert errors == []
    events = chain_of(f"case:{CASE_ID}")
    assert len(events) == writers
    assert sorted(e.data["writer"] for e in events) == list(range(writers))
    assert all(e.ip is None and e.request_id == "" for e in events)  # no request, no origin
    assert_unbroken(events)
    head = ChainHead.objects.get(chain=f"case:{CASE_ID}")
    assert (head.seq, head.hash) == (writers, events[-1].hash)

    report = verify(chain=f"case:{CASE_ID}", history=False)
    assert report.ok, report.findings
    assert (report.chains, report.events) == (1, writers)
