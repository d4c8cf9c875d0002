"""A history row with the acting user and the reason for every create, update and withdrawal."""

from datetime import date

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from cases.choices import CaseAction, ParticipantRole
from cases.models import (
    ActSanction,
    Case,
    DeadlineExtension,
    ExtensionDecision,
    Interruption,
    Participant,
    Person,
    PersonLink,
    ProceduralAct,
    ProceduralActType,
)
from cases.services.acts import act_create, act_update, act_withdraw
from cases.services.case import case_assign, case_transition, case_update
from cases.services.participants import (
    participant_add,
    participant_change_role,
    participant_withdraw,
    person_link,
    person_update,
)
from cases.services.term import deadline_extend
from ecase.history import CaseDataModel, HardDeleteError, HistoryBypassError, MissingActorError
from evidence.models import CustodyEvent, EvidenceFile, EvidenceItem
from tests.cases.decrees import decree_move, requalified
from tests.cases.sanctions import judge_decides
from tests.cases.signing_helpers import certify
from tests.factories import article, person_data, register

# ExtensionDecision: its history and delete guard in tests/cases/test_term_extension.py.
TESTED = {
    ActSanction,
    Case,
    Person,
    PersonLink,
    Participant,
    ProceduralAct,
    DeadlineExtension,
    ExtensionDecision,
    Interruption,
    EvidenceItem,
    EvidenceFile,
    CustodyEvent,
}


def latest(model, pk):
    return model.history.filter(id=pk).order_by("-history_id").first()


def assert_row(row, *, user, type_, reason=None):
    assert row is not None
    assert row.history_user == user
    assert row.history_type == type_
    if reason is not None:
        assert row.history_change_reason == reason


def test_every_case_data_model_is_covered_by_these_tests():
    case_data = {m for m in apps.get_models() if issubclass(m, CaseDataModel)}
    assert case_data == TESTED


@pytest.mark.parametrize("model", sorted(TESTED, key=lambda m: m.__name__), ids=lambda m: m.__name__)
def test_every_case_data_model_demands_an_explicit_actor(model):
    with pytest.raises(MissingActorError):
        model.history.model.get_default_history_user(model())


def test_case_history_on_create_update_and_many_to_many(signing, investigator, colleague, supervisor, prosecutor):
    case = Case.objects.get(pk=_register(investigator, prosecutor, supervisor).pk)
    assert_row(case.history.earliest("history_id"), user=investigator, type_="+", reason="Registered")
    case = case_update(
        case_id=case.pk,
        actor=investigator,
        expected_version=case.version,
        reason="Уточнена фабула",
        plot="Открыто похитил телефон.",
    )
    assert latest(Case, case.pk).history_change_reason == "Уточнена фабула"
    for user in (investigator, prosecutor):
        certify(user)
    decree = requalified(case, investigator, ["191-1"])  # by the qualification decree in force (issue #18)
    case = Case.objects.get(pk=case.pk)
    row = latest(Case, case.pk)
    assert_row(row, user=investigator, type_="~")
    assert row.history_change_reason == str(decree)
    assert set(row.articles.values_list("article_id", flat=True)) == {article("191-1").pk}
    case_assign(
        case_id=case.pk,
        actor=supervisor,
        lead_investigator=investigator,
        group=[colleague],
        prosecutor=prosecutor,
        supervisor=supervisor,
        reason="Создана следственная группа",
    )
    row = latest(Case, case.pk)
    assert_row(row, user=supervisor, type_="~", reason="Создана следственная группа")
    assert list(row.group.values_list("user_id", flat=True)) == [colleague.pk]


def _register(investigator, prosecutor, supervisor):
    from tests.factories import register

    return register(actor=investigator, prosecutor=prosecutor, supervisor=supervisor, days_ago=3)


def test_person_and_participant_history(case, investigator):
    participant = participant_add(
        case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data(), reason="Задержан"
    )
    assert_row(latest(Person, participant.person_id), user=investigator, type_="+", reason="Задержан")
    assert_row(latest(Participant, participant.pk), user=investigator, type_="+", reason="Задержан")
    person_update(
        person_id=participant.person_id, actor=investigator, reason="Новый адрес", address="г. Астана, ул. Абая, 1"
    )
    assert_row(latest(Person, participant.person_id), user=investigator, type_="~", reason="Новый адрес")
    participant_change_role(
        participant_id=participant.pk,
        actor=investigator,
        role=ParticipantRole.DEFENDED_WITNESS,
        reason="Показания о себе",
    )
    row = latest(Participant, participant.pk)
    assert_row(row, user=investigator, type_="~", reason="Показания о себе")
    assert row.role == ParticipantRole.DEFENDED_WITNESS
    assert Participant.history.filter(id=participant.pk, role=ParticipantRole.WITNESS).exists()
    participant_withdraw(participant_id=participant.pk, actor=investigator, reason="Внесён ошибочно")
    assert_row(latest(Participant, participant.pk), user=investigator, type_="~", reason="Внесён ошибочно")
    assert Participant.objects.filter(pk=participant.pk).exists()


def test_act_history_including_its_participants(case, investigator):
    victim = participant_add(
        case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data()
    )
    act_type = ProceduralActType.objects.first()
    act = act_create(case_id=case.pk, actor=investigator, act_type=act_type, language="ru", place="г. Астана")
    assert_row(latest(ProceduralAct, act.pk), user=investigator, type_="+", reason="Drafted")
    act = act_update(
        act_id=act.pk,
        actor=investigator,
        expected_version=act.version,
        reason="Добавлен потерпевший",
        body="Текст",
        participant_ids=[victim.pk],
    )
    row = latest(ProceduralAct, act.pk)
    assert_row(row, user=investigator, type_="~")
    assert list(row.participants.values_list("participant_id", flat=True)) == [victim.pk]
    act_withdraw(act_id=act.pk, actor=investigator, reason="Составлен ошибочно")
    assert_row(latest(ProceduralAct, act.pk), user=investigator, type_="~", reason="Составлен ошибочно")


def test_term_records_history(signing, case, investigator, prosecutor):
    case_transition(case_id=case.pk, action=CaseAction.START, actor=investigator)
    # The prosecutor extends the term as themself (issue #17): the history names them.
    extension = deadline_extend(case_id=case.pk, actor=prosecutor, days=15, reason="Назначена экспертиза")
    rows = list(DeadlineExtension.history.filter(id=extension.pk).order_by("history_id"))
    # Created, then linked to the prosecutor's signed decision (drawn up once the new deadline is known).
    assert [row.history_type for row in rows] == ["+", "~"] and rows[-1].decision_act_id == extension.decision_act_id
    for row in rows:
        assert_row(row, user=prosecutor, type_=row.history_type, reason="Назначена экспертиза")
    # Interrupted and resumed by decrees in force (issue #18): their author is the history's user.
    for user in (investigator, prosecutor):
        certify(user)
    decree_move(case, CaseAction.INTERRUPT, investigator, justification="Розыск")
    interruption = Interruption.objects.get(case=case)
    assert_row(latest(Interruption, interruption.pk), user=investigator, type_="+", reason="Розыск")
    decree_move(case, CaseAction.RESUME, investigator, grounds="Найден")
    assert_row(latest(Interruption, interruption.pk), user=investigator, type_="~", reason="Найден")


def test_the_judges_sanction_records_history_and_is_never_deleted(case, investigator, prosecutor, signing):
    from cases.act_transitions import ActAction
    from cases.services.act_workflow import act_transition
    from tests.cases.signing_helpers import author_signed_act, render_in_process

    for user in (investigator, prosecutor):
        certify(user)
    act = author_signed_act(case, investigator, code="preventive_measure_request")
    render_in_process(act_transition(act_id=act.pk, action=ActAction.AGREE, actor=prosecutor))
    sanction = judge_decides(act, investigator)
    assert_row(latest(ActSanction, sanction.pk), user=investigator, type_="+", reason="The judge's decision recorded")
    with pytest.raises(HardDeleteError):
        sanction.delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_actsanction WHERE id = %s", [sanction.pk])
    assert ActSanction.objects.filter(pk=sanction.pk).exists()


def test_a_save_without_an_actor_is_refused(case):
    case = Case.objects.get(pk=case.pk)  # a fresh instance: no actor attached by a service
    case.plot = "Изменено без автора"
    with pytest.raises(MissingActorError), transaction.atomic():
        case.save()
    assert Case.objects.get(pk=case.pk).plot != "Изменено без автора"


def test_writes_that_would_skip_history_are_refused(case, investigator):
    with pytest.raises(HistoryBypassError):
        Case.objects.filter(pk=case.pk).update(plot="x")
    with pytest.raises(HistoryBypassError):
        Case.objects.bulk_update([case], ["plot"])
    with pytest.raises(MissingActorError):
        Person.objects.bulk_create([Person(**person_data())])
    assert not Person.objects.exists()


def test_bulk_create_writes_history_rows_with_the_actor(investigator):
    people = Person.objects.bulk_create(
        [Person(**person_data()), Person(**person_data(born=date(1990, 1, 2)))], actor=investigator, reason="Импорт"
    )
    rows = Person.history.filter(id__in=[p.pk for p in people])
    assert rows.count() == 2
    assert set(rows.values_list("history_user_id", "history_change_reason")) == {(investigator.pk, "Импорт")}


def test_nothing_of_a_case_is_hard_deleted(case):
    with pytest.raises(HardDeleteError):
        case.delete()
    with pytest.raises(HardDeleteError):
        Case.objects.filter(pk=case.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_case WHERE id = %s", [case.pk])
    assert Case.objects.filter(pk=case.pk).exists()


def test_a_person_link_and_the_persons_it_joins_are_never_deleted(investigator):
    data = person_data()
    a, b = (
        participant_add(
            case_id=register(actor=investigator).pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=data
        )
        for _ in range(2)
    )
    link = person_link(person_id=a.person_id, other_id=b.person_id, actor=investigator, reason="Одно лицо")
    with pytest.raises(HardDeleteError):
        link.delete()
    for table, pk in (("cases_personlink", link.pk), ("cases_person", a.person_id)):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])
    assert PersonLink.objects.filter(pk=link.pk).exists() and Person.objects.filter(pk=a.person_id).exists()
