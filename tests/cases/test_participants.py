"""Persons and participants: IIN checks, a person recorded per case, explicit links, clear refusals that save nothing."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.choices import Role
from audit.choices import EventType
from audit.models import AuditEvent
from cases.choices import ParticipantRole
from cases.models import Participant, Person, PersonLink
from cases.services.participants import participant_add, person_link
from ecase.errors import NotAllowed, OutOfScope
from tests.factories import make_user, person_data, register


def counts():
    return (
        Person.objects.count(),
        Participant.objects.count(),
        Person.history.count(),
        Participant.history.count(),
        AuditEvent.objects.count(),
    )


def add(case, actor, **data):
    return participant_add(case_id=case.pk, actor=actor, role=ParticipantRole.VICTIM, person_data=person_data(**data))


@pytest.mark.parametrize(
    "bad,field",
    [
        ({"iin": "791028302727"}, "iin"),  # wrong check digit
        ({"iin": "79102830272"}, "iin"),  # 11 digits
        ({"iin": "791028302728", "birth_date": date(1979, 10, 29)}, "birth_date"),  # IIN says 28.10.1979
        ({"iin": "791028302728", "birth_date": date(1979, 10, 28), "sex": "F"}, "sex"),  # 7th digit 3: male
        ({"last_name": "Ivanov"}, "last_name"),  # not Cyrillic
        ({"phone": "call me"}, "phone"),
    ],
)
def test_bad_person_data_is_refused_and_saves_nothing(case, investigator, bad, field):
    before = counts()
    with pytest.raises(ValidationError) as error:
        add(case, investigator, **bad)
    assert field in error.value.message_dict
    assert counts() == before


def test_a_person_born_after_the_offence_is_refused(investigator):
    case = register(actor=investigator, event_date=timezone.localdate() - timedelta(days=400))
    born = timezone.localdate() - timedelta(days=100)
    before = counts()
    with pytest.raises(ValidationError) as error:
        add(case, investigator, born=born)
    assert "person" in error.value.message_dict
    assert counts() == before  # the new person rolls back with the refused participant


@pytest.fixture
def taraz_grave(outsider, taraz):
    """A grave case of the Taraz department, which nobody in Astana sees."""
    boss = make_user("supervisor.taraz", Role.SUPERVISOR, taraz, last_name="Оспанов", first_name="Бауыржан")
    case = register(actor=outsider, articles=("99-1",), supervisor=boss)
    assert case.gravity >= 4
    return case


def test_an_iin_of_a_foreign_grave_case_gets_a_new_record_of_exactly_what_was_typed(
    case, investigator, outsider, taraz_grave
):
    foreign = participant_add(
        case_id=taraz_grave.pk,
        actor=outsider,
        role=ParticipantRole.WITNESS,
        person_data=person_data(
            last_name="Серіков", first_name="Асқар", address="г. Тараз, ул. Толе би, 12", phone="+7 701 000 00 01"
        ),
    )
    typed = person_data(
        iin=foreign.person.iin,
        last_name="Сериков",
        first_name="Аскар",
        middle_name="",
        address="г. Астана, пр. Абая, 1",
        phone="+7 702 111 22 33",
    )
    mine = participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=typed)
    assert mine.person_id != foreign.person_id and mine.person.case_id == case.pk
    stored = Person.objects.get(pk=mine.person_id)
    assert {name: getattr(stored, name) for name in typed} == typed  # nothing taken from the Taraz record
    foreign.person.refresh_from_db()
    assert (foreign.person.last_name, foreign.person.address, foreign.person.case_id) == (
        "Серіков",
        "г. Тараз, ул. Толе би, 12",
        taraz_grave.pk,
    )  # and nothing of it changed
    # The audit row says a person was created, exactly as for an IIN on file nowhere.
    assert AuditEvent.objects.get(event=EventType.PARTICIPANT_ADDED, case_id=case.pk).data["person_created"] is True
    assert list(Person.objects.restrict(investigator).values_list("pk", flat=True)) == [stored.pk]


def test_the_same_iin_twice_in_one_case_is_one_record_and_a_contradiction_is_refused(case, investigator):
    data = person_data()
    first = participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=data)
    second = participant_add(
        case_id=case.pk, actor=investigator, role=ParticipantRole.CIVIL_DEFENDANT, person_data=data
    )
    assert first.person_id == second.person_id
    before = counts()
    with pytest.raises(ValidationError) as error:
        participant_add(
            case_id=case.pk,
            actor=investigator,
            role=ParticipantRole.WITNESS,
            person_data={**data, "last_name": "Петров"},
        )
    assert "iin" in error.value.message_dict and "Иванов" in error.value.message_dict["iin"][0]
    assert counts() == before


def test_linking_two_records_is_refused_to_someone_who_does_not_see_both_cases(
    case, investigator, outsider, prosecutor, taraz_grave
):
    mine = participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data())
    theirs = participant_add(
        case_id=taraz_grave.pk,
        actor=outsider,
        role=ParticipantRole.WITNESS,
        person_data=person_data(iin=mine.person.iin),
    )
    before = (PersonLink.objects.count(), PersonLink.history.count(), AuditEvent.objects.count())
    for actor in (investigator, outsider, prosecutor):  # each sees one of the two cases at most
        with pytest.raises(OutOfScope):
            person_link(person_id=mine.person_id, other_id=theirs.person_id, actor=actor, reason="Один ИИН")
    assert (PersonLink.objects.count(), PersonLink.history.count(), AuditEvent.objects.count()) == before


def test_linking_by_someone_who_sees_both_cases_is_recorded_and_audited(investigator):
    first, second = register(actor=investigator), register(actor=investigator)
    data = person_data()
    a = participant_add(case_id=first.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=data)
    b = participant_add(case_id=second.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=data)
    assert a.person_id != b.person_id  # each case keeps its own record
    with pytest.raises(ValidationError):
        person_link(person_id=b.person_id, other_id=a.person_id, actor=investigator, reason="  ")
    link = person_link(person_id=b.person_id, other_id=a.person_id, actor=investigator, reason="Совпадают ИИН и ФИО")
    assert (link.person_id, link.other_id, link.linked_by) == (
        min(a.person_id, b.person_id),
        max(a.person_id, b.person_id),
        investigator,
    )
    event = AuditEvent.objects.get(event=EventType.PERSON_LINKED)
    assert event.actor == investigator and event.data["reason"] == "Совпадают ИИН и ФИО"
    assert {event.case_id, event.data["other_case"]} == {first.pk, second.pk}
    assert link.history.get().history_user == investigator
    with pytest.raises(ValidationError):  # once is enough, in either order
        person_link(person_id=a.person_id, other_id=b.person_id, actor=investigator, reason="Ещё раз")
    third = participant_add(
        case_id=first.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data()
    )
    with pytest.raises(ValidationError):  # within one case a person is recorded once
        person_link(person_id=a.person_id, other_id=third.person_id, actor=investigator, reason="Одно лицо")
    assert PersonLink.objects.count() == 1


def test_the_same_role_twice_is_refused(case, investigator):
    data = person_data()
    participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=data)
    with pytest.raises(ValidationError):
        participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=data)
    assert Participant.objects.filter(case=case).count() == 1


def test_the_design_examples_iin_is_accepted(case, investigator):
    data = {**person_data(), "iin": "791028302728", "birth_date": date(1979, 10, 28), "sex": "M"}
    participant = participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=data)
    assert participant.person.iin == "791028302728"


def test_outsider_cannot_add_a_participant_to_a_foreign_case(case, outsider, prosecutor):
    before = counts()
    with pytest.raises(OutOfScope):
        add(case, outsider)
    with pytest.raises(NotAllowed):
        add(case, prosecutor)  # sees the case, may not write
    assert counts() == before


# --- the participant form (issue #16) -------------------------------------------------------------


def participant_post(case, investigator, **changes):
    from django.urls import reverse

    from tests.auth import verified_client

    data = {**{k: v for k, v in person_data().items() if v is not None}, "role": ParticipantRole.WITNESS, **changes}
    return verified_client(investigator).post(reverse("cases:participant-add", args=[case.pk]), data)


def test_the_form_preselects_no_role_and_requires_one(case, investigator):
    from django.urls import reverse

    from tests.auth import verified_client

    page = verified_client(investigator).get(reverse("cases:participant-add", args=[case.pk])).content.decode()
    role_select = page[page.index('name="role"') : page.index("</select>", page.index('name="role"'))]
    assert '<option value="" selected>' in role_select and "selected" not in role_select.replace(
        '<option value="" selected>', ""
    )
    response = participant_post(case, investigator, role="")
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert not Participant.objects.filter(case=case).exists()


def test_a_birth_date_in_the_future_is_refused_with_a_message(case, investigator):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = participant_post(case, investigator, iin="", birth_date=tomorrow.isoformat())
    assert response.status_code == 400
    assert "The date of birth cannot be in the future." in response.content.decode()
    assert not Participant.objects.filter(case=case).exists()


def test_a_birth_date_of_today_is_accepted(case, investigator):
    response = participant_post(case, investigator, iin="", birth_date=timezone.localdate().isoformat())
    assert response.status_code == 302 and Participant.objects.filter(case=case).count() == 1
