"""Persons and participants: IIN checks, one person in many cases, clear refusals that save nothing."""
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from cases.choices import ParticipantRole
from cases.models import Participant, Person
from cases.services.participants import participant_add
from ecase.errors import NotAllowed, OutOfScope
from tests.factories import person_data, register


def counts():
    return (Person.objects.count(), Participant.objects.count(), Person.history.count(),
            Participant.history.count(), AuditEvent.objects.count())


def add(case, actor, **data):
    return participant_add(case_id=case.pk, actor=actor, role=ParticipantRole.VICTIM, person_data=person_data(**data))


@pytest.mark.parametrize("bad,field", [
    ({"iin": "791028302727"}, "iin"),                  # wrong check digit
    ({"iin": "79102830272"}, "iin"),                   # 11 digits
    ({"iin": "791028302728", "birth_date": date(1979, 10, 29)}, "birth_date"),  # IIN says 28.10.1979
    ({"iin": "791028302728", "birth_date": date(1979, 10, 28), "sex": "F"}, "sex"),  # 7th digit 3: male
    ({"last_name": "Ivanov"}, "last_name"),            # not Cyrillic
    ({"phone": "call me"}, "phone"),
])
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


def test_the_same_iin_is_the_same_person_in_every_case(investigator):
    first, second = register(actor=investigator), register(actor=investigator)
    data = person_data()
    a = participant_add(case_id=first.pk, actor=investigator, role=ParticipantRole.SUSPECT, person_data=data)
    b = participant_add(case_id=second.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=data)
    assert a.person_id == b.person_id
    assert Person.objects.filter(iin=data["iin"]).count() == 1


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
