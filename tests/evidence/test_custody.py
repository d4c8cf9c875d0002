"""The chain of custody: every hand-over is a new, unchangeable event."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import IntegrityError
from django.utils import timezone

from audit.choices import EventType
from audit.models import AuditEvent
from ecase.errors import NotAllowed, OutOfScope
from ecase.history import HardDeleteError, HistoryBypassError
from evidence.models import AppendOnlyError, CustodyEvent, EvidenceItem
from evidence.services import evidence_transfer, evidence_withdraw


def hand_over(
    item,
    actor,
    *,
    hours_ago,
    to_holder="Камера хранения вещдоков",
    to_location="Склад №2, ячейка 14",
    reason="Сдано на хранение",
    **extra,
):
    return evidence_transfer(
        item_id=item.pk,
        actor=actor,
        to_holder=to_holder,
        to_location=to_location,
        reason=reason,
        occurred_at=timezone.now() - timedelta(hours=hours_ago),
        **extra,
    )


def transfers(case):
    return AuditEvent.objects.filter(event=EventType.EVIDENCE_TRANSFERRED, case_id=case.pk)


def test_investigator_hands_over_an_item_which_moves_to_the_new_storage_location(item, investigator, case):
    event = hand_over(item, investigator, hours_ago=2)
    stored = CustodyEvent.objects.get(pk=event.pk)
    assert stored.item == item
    assert stored.to_holder == "Камера хранения вещдоков"
    assert stored.from_holder == investigator.get_full_name()
    assert stored.from_location == "" and stored.to_location == "Склад №2, ячейка 14"
    assert stored.recorded_by == investigator
    assert EvidenceItem.objects.get(pk=item.pk).storage_location == "Склад №2, ячейка 14"
    audit = transfers(case).get()
    assert audit.actor == investigator
    assert audit.target_type == "evidence.custodyevent" and audit.target_id == str(event.pk)
    assert audit.data["from"] == investigator.get_full_name()
    assert audit.data["to"] == "Камера хранения вещдоков"
    assert audit.data["to_location"] == "Склад №2, ячейка 14"


def test_the_second_hand_over_starts_where_the_first_ended(item, investigator, case):
    first = hand_over(item, investigator, hours_ago=2)
    second = hand_over(
        item,
        investigator,
        hours_ago=1,
        to_holder="Эксперт Жанатов Б.К.",
        to_location="ИСЭ, г. Астана",
        reason="Направлено на экспертизу",
    )
    assert second.from_holder == first.to_holder
    assert second.from_location == first.to_location
    assert EvidenceItem.objects.get(pk=item.pk).storage_location == "ИСЭ, г. Астана"
    assert [e.pk for e in item.custody_events.all()] == [first.pk, second.pk]
    assert transfers(case).count() == 2
    assert transfers(case).order_by("seq").last().data["from"] == "Камера хранения вещдоков"


def test_an_explicit_from_holder_overrides_the_default(item, investigator):
    hand_over(item, investigator, hours_ago=2)
    event = hand_over(item, investigator, hours_ago=1, from_holder="Оперуполномоченный Касенов А.")
    assert event.from_holder == "Оперуполномоченный Касенов А."


def test_it_refuses_a_hand_over_dated_before_the_previous_one(item, investigator, case):
    hand_over(item, investigator, hours_ago=1)
    before = CustodyEvent.objects.count(), transfers(case).count()
    with pytest.raises(ValidationError) as error:
        hand_over(item, investigator, hours_ago=3, to_holder="Следователь Ахметов Н.", to_location="Кабинет 305")
    assert "occurred_at" in error.value.message_dict
    assert (CustodyEvent.objects.count(), transfers(case).count()) == before
    assert EvidenceItem.objects.get(pk=item.pk).storage_location == "Склад №2, ячейка 14"


def test_it_refuses_a_first_hand_over_dated_before_the_seizure(item, investigator, case):
    # The item fixture was seized three hours ago: custody cannot begin before that.
    with pytest.raises(ValidationError) as error:
        hand_over(item, investigator, hours_ago=5)
    assert "occurred_at" in error.value.message_dict
    assert not CustodyEvent.objects.exists()
    assert not transfers(case).exists()


def test_it_refuses_a_hand_over_in_the_future(item, investigator):
    with pytest.raises(ValidationError) as error:
        hand_over(item, investigator, hours_ago=-2)
    assert "occurred_at" in error.value.message_dict
    assert not CustodyEvent.objects.exists()


@pytest.mark.parametrize("missing", ["to_holder", "reason"])
def test_it_refuses_a_hand_over_without_a_receiver_or_a_reason(item, investigator, missing):
    with pytest.raises(ValidationError):
        hand_over(item, investigator, hours_ago=1, **{missing: "  "})
    assert not CustodyEvent.objects.exists()
    assert EvidenceItem.objects.get(pk=item.pk).storage_location == ""


def test_it_refuses_to_hand_over_a_withdrawn_item(item, investigator):
    evidence_withdraw(item_id=item.pk, actor=investigator, reason="Внесён ошибочно")
    with pytest.raises(ValidationError):
        hand_over(item, investigator, hours_ago=1)
    assert not CustodyEvent.objects.exists()


def test_outsider_and_prosecutor_may_not_record_a_hand_over(item, outsider, prosecutor):
    with pytest.raises(OutOfScope):
        hand_over(item, outsider, hours_ago=1)
    with pytest.raises(NotAllowed):
        hand_over(item, prosecutor, hours_ago=1)
    assert not CustodyEvent.objects.exists()


def test_it_refuses_to_save_a_recorded_custody_event_again(item, investigator):
    event = hand_over(item, investigator, hours_ago=1)
    event.reason = "Переписано задним числом"
    with pytest.raises(AppendOnlyError):
        event.save()
    reloaded = CustodyEvent.objects.get(pk=event.pk)
    reloaded.to_holder = "Другой хранитель"
    with pytest.raises(AppendOnlyError):
        reloaded.save()
    assert CustodyEvent.objects.get(pk=event.pk).reason == "Сдано на хранение"
    assert CustodyEvent.objects.get(pk=event.pk).to_holder == "Камера хранения вещдоков"


def test_it_refuses_to_change_or_delete_custody_events_through_a_queryset(item, investigator):
    event = hand_over(item, investigator, hours_ago=1)
    with pytest.raises(HistoryBypassError):
        CustodyEvent.objects.filter(pk=event.pk).update(reason="Переписано")
    with pytest.raises(HardDeleteError):
        CustodyEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(HardDeleteError):
        event.delete()
    assert CustodyEvent.objects.get(pk=event.pk).reason == "Сдано на хранение"


def test_the_database_refuses_a_raw_update_of_a_custody_event(item, investigator):
    event = hand_over(item, investigator, hours_ago=1)
    with pytest.raises(IntegrityError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE evidence_custodyevent SET to_holder = %s WHERE id = %s", ["Подмена", event.pk])
    assert CustodyEvent.objects.get(pk=event.pk).to_holder == "Камера хранения вещдоков"


def test_the_database_refuses_a_raw_delete_of_a_custody_event(item, investigator):
    event = hand_over(item, investigator, hours_ago=1)
    with pytest.raises(IntegrityError, match="never deleted"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM evidence_custodyevent WHERE id = %s", [event.pk])
    assert CustodyEvent.objects.filter(pk=event.pk).exists()
