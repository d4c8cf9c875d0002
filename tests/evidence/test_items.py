"""Evidence items: numbering, validation, scope, withdrawal instead of deletion, no history bypass."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import IntegrityError
from django.utils import timezone

from audit.choices import EventType
from audit.models import AuditEvent
from cases.choices import ParticipantRole
from cases.services.participants import participant_add
from ecase.errors import NotAllowed, OutOfScope
from ecase.history import HardDeleteError, HistoryBypassError
from evidence.choices import EvidenceStatus
from evidence.models import EvidenceItem
from evidence.services import evidence_update, evidence_withdraw
from tests.factories import person_data, register

from .helpers import add_item


def counts():
    """Everything an evidence write leaves behind: item rows, their history rows, audit rows."""
    return EvidenceItem.objects.count(), EvidenceItem.history.count(), AuditEvent.objects.count()


# --- numbering ---------------------------------------------------------------------------------


def test_it_numbers_items_one_two_three_within_a_case(case, investigator):
    items = [add_item(case, investigator) for _ in range(3)]
    assert [i.number for i in items] == [1, 2, 3]
    assert list(EvidenceItem.objects.filter(case=case).values_list("number", flat=True)) == [1, 2, 3]


def test_it_numbers_each_case_independently(case, investigator):
    other = register(actor=investigator, plot="Угнал автомобиль со стоянки.")
    add_item(case, investigator)
    add_item(case, investigator)
    first_of_other = add_item(other, investigator)
    third = add_item(case, investigator)
    assert first_of_other.number == 1
    assert third.number == 3


def test_it_continues_after_the_highest_number_given_explicitly(case, investigator):
    add_item(case, investigator, number=7)
    assert add_item(case, investigator).number == 8


def test_it_refuses_an_explicit_duplicate_number_and_saves_nothing(case, investigator):
    add_item(case, investigator, number=1)
    before = counts()
    with pytest.raises(ValidationError) as error:
        add_item(case, investigator, number=1, description="Нож кухонный с чёрной рукоятью")
    assert "number" in error.value.message_dict
    assert counts() == before
    assert not EvidenceItem.objects.filter(description__startswith="Нож").exists()


def test_it_writes_one_history_row_and_one_audit_row_per_item(case, investigator):
    before_history, before_audit = EvidenceItem.history.count(), AuditEvent.objects.count()
    item = add_item(case, investigator, seal_number="А-0012")
    assert EvidenceItem.history.count() == before_history + 1
    row = item.history.get()
    assert row.history_type == "+" and row.history_user == investigator
    event = AuditEvent.objects.get(event=EventType.EVIDENCE_ADDED, target_id=str(item.pk))
    assert AuditEvent.objects.count() == before_audit + 1
    assert event.case_id == case.pk and event.actor == investigator
    assert event.data == {"number": 1, "kind": "physical", "seal": "А-0012"}


def test_evidence_events_continue_the_cases_audit_chain(case, investigator):
    from audit.models import GENESIS_HASH

    item = add_item(case, investigator)
    evidence_withdraw(item_id=item.pk, actor=investigator, reason="Внесён ошибочно")
    chain = list(AuditEvent.objects.filter(chain=f"case:{case.pk}").order_by("seq"))
    assert [e.event for e in chain] == [
        EventType.CASE_REGISTERED,
        EventType.EVIDENCE_ADDED,
        EventType.EVIDENCE_WITHDRAWN,
    ]
    assert [e.seq for e in chain] == [1, 2, 3]
    assert [e.prev_hash for e in chain] == [GENESIS_HASH, chain[0].hash, chain[1].hash]
    assert all(e.compute_hash() == e.hash for e in chain)


# --- validation --------------------------------------------------------------------------------


def test_it_refuses_a_seizure_in_the_future(case, investigator):
    before = counts()
    with pytest.raises(ValidationError) as error:
        add_item(case, investigator, seized_at=timezone.now() + timedelta(hours=1))
    assert "seized_at" in error.value.message_dict
    assert counts() == before


def test_it_refuses_a_seized_from_participant_of_another_case(case, investigator):
    other = register(actor=investigator, plot="Угнал автомобиль со стоянки.")
    stranger = participant_add(
        case_id=other.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data()
    )
    before = counts()
    with pytest.raises(ValidationError) as error:
        add_item(case, investigator, seized_from=stranger)
    assert "seized_from" in error.value.message_dict
    assert counts() == before


def test_it_accepts_a_seized_from_participant_of_the_same_case(case, investigator):
    suspect = participant_add(
        case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data()
    )
    item = add_item(case, investigator, seized_from=suspect)
    assert EvidenceItem.objects.get(pk=item.pk).seized_from == suspect


def test_it_refuses_fields_that_are_not_evidence_fields(case, investigator):
    before = counts()
    with pytest.raises(ValueError):
        add_item(case, investigator, withdrawn_at=timezone.now())
    assert counts() == before


# --- scope -------------------------------------------------------------------------------------


def test_outsider_adding_evidence_to_the_case_gets_out_of_scope_and_nothing_is_written(case, outsider):
    before = counts()
    with pytest.raises(OutOfScope):
        add_item(case, outsider)
    assert counts() == before


def test_prosecutor_who_only_views_the_case_may_not_add_evidence(case, prosecutor):
    before = counts()
    with pytest.raises(NotAllowed):
        add_item(case, prosecutor)
    assert counts() == before


def test_investigator_cannot_put_evidence_into_a_forged_case_of_another_unit(case, investigator, outsider):
    foreign = register(actor=outsider, plot="Мошенничество с банковской картой.")
    before = counts()
    with pytest.raises(OutOfScope):
        add_item(foreign, investigator)
    assert counts() == before
    assert not EvidenceItem.objects.filter(case=foreign).exists()


def test_outsider_cannot_withdraw_or_change_the_investigators_item(item, outsider):
    with pytest.raises(OutOfScope):
        evidence_withdraw(item_id=item.pk, actor=outsider, reason="Просто так")
    with pytest.raises(OutOfScope):
        evidence_update(item_id=item.pk, actor=outsider, reason="Просто так", description="Подменено")
    item.refresh_from_db()
    assert not item.is_withdrawn
    assert item.description.startswith("Мобильный телефон")


def test_prosecutor_may_not_change_an_item(item, prosecutor):
    with pytest.raises(NotAllowed):
        evidence_update(item_id=item.pk, actor=prosecutor, reason="Уточнение", status=EvidenceStatus.IN_STORAGE)
    item.refresh_from_db()
    assert item.status == EvidenceStatus.SEIZED


# --- withdrawal instead of deletion ------------------------------------------------------------


def test_investigator_withdraws_an_item_which_stays_with_who_when_and_why(item, investigator):
    before = timezone.now()
    evidence_withdraw(item_id=item.pk, actor=investigator, reason="  Внесён ошибочно, дубль №1  ")
    kept = EvidenceItem.objects.get(pk=item.pk)
    assert kept.is_withdrawn
    assert before <= kept.withdrawn_at <= timezone.now()
    assert kept.withdrawn_by == investigator
    assert kept.withdrawal_reason == "Внесён ошибочно, дубль №1"
    latest = kept.history.first()
    assert kept.history.count() == 2
    assert latest.history_type == "~"
    assert latest.history_user == investigator
    assert "Внесён ошибочно" in latest.history_change_reason
    assert AuditEvent.objects.filter(event=EventType.EVIDENCE_WITHDRAWN, target_id=str(item.pk)).count() == 1


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_it_refuses_a_withdrawal_without_a_reason(item, investigator, reason):
    before = counts()
    with pytest.raises(ValidationError) as error:
        evidence_withdraw(item_id=item.pk, actor=investigator, reason=reason)
    assert "reason" in error.value.message_dict
    assert counts() == before
    item.refresh_from_db()
    assert not item.is_withdrawn


def test_it_refuses_to_change_or_withdraw_a_withdrawn_item(item, investigator):
    evidence_withdraw(item_id=item.pk, actor=investigator, reason="Внесён ошибочно")
    with pytest.raises(ValidationError):
        evidence_update(item_id=item.pk, actor=investigator, reason="Уточнение", description="Другое описание")
    with pytest.raises(ValidationError):
        evidence_withdraw(item_id=item.pk, actor=investigator, reason="Ещё раз")
    item.refresh_from_db()
    assert item.withdrawal_reason == "Внесён ошибочно"


def test_it_refuses_to_delete_an_item(item):
    with pytest.raises(HardDeleteError):
        item.delete()
    assert EvidenceItem.objects.filter(pk=item.pk).exists()


def test_it_refuses_to_delete_items_through_a_queryset(item, case):
    with pytest.raises(HardDeleteError):
        EvidenceItem.objects.filter(pk=item.pk).delete()
    with pytest.raises(HardDeleteError):
        case.evidence_items.all().delete()
    assert EvidenceItem.objects.filter(pk=item.pk).exists()


def test_the_database_refuses_a_raw_delete_of_an_item(item):
    # Psycopg maps the trigger's SQLSTATE 23000 (integrity_constraint_violation) to IntegrityError.
    with pytest.raises(IntegrityError, match="withdrawn, never deleted"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM evidence_evidenceitem WHERE id = %s", [item.pk])
    assert EvidenceItem.objects.filter(pk=item.pk).exists()


def test_the_database_refuses_a_raw_delete_of_every_item(case, investigator):
    add_item(case, investigator)
    add_item(case, investigator)
    with pytest.raises(IntegrityError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM evidence_evidenceitem")
    assert EvidenceItem.objects.filter(case=case).count() == 2


# --- no write around history -------------------------------------------------------------------


def test_it_refuses_a_queryset_update_that_would_skip_history(item):
    with pytest.raises(HistoryBypassError):
        EvidenceItem.objects.filter(pk=item.pk).update(description="Подменено")
    with pytest.raises(HistoryBypassError):
        EvidenceItem.objects.restrict(item.case.lead_investigator, "change").update(status=EvidenceStatus.DESTROYED)
    item.refresh_from_db()
    assert item.description.startswith("Мобильный телефон")
    assert item.status == EvidenceStatus.SEIZED


def test_it_refuses_a_bulk_update_that_would_skip_history(item):
    item.description = "Подменено"
    with pytest.raises(HistoryBypassError):
        EvidenceItem.objects.bulk_update([item], ["description"])
    item.refresh_from_db()
    assert item.description.startswith("Мобильный телефон")


def test_investigator_changes_an_item_with_a_reason_recorded_in_history(item, investigator):
    evidence_update(
        item_id=item.pk,
        actor=investigator,
        reason="Опечатан в присутствии понятых",
        seal_number="А-0099",
        status=EvidenceStatus.IN_STORAGE,
    )
    item.refresh_from_db()
    assert (item.seal_number, item.status) == ("А-0099", EvidenceStatus.IN_STORAGE)
    latest = item.history.first()
    assert latest.history_user == investigator
    assert latest.history_change_reason == "Опечатан в присутствии понятых"
    event = AuditEvent.objects.get(event=EventType.EVIDENCE_CHANGED, target_id=str(item.pk))
    assert event.data["from"]["seal_number"] == "" and event.data["to"]["seal_number"] == "А-0099"
