"""Migration cases.0011: a person shared by several cases becomes one record per case, nothing deleted,
history complete (issue #13)."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases.choices import ParticipantRole
from tests.factories import make_iin, register

BEFORE = [("cases", "0010_article_versions")]
AFTER = [("cases", "0011_persons_belong_to_cases")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the test database is emptied with DELETE afterwards, "
    "which SQLite's no-delete triggers refuse; the migration itself runs there (checked by hand)",
)
@pytest.mark.django_db(transaction=True)
def test_a_shared_person_is_split_into_one_record_per_case_with_history(investigator, outsider):
    first, second = register(actor=investigator), register(actor=outsider)
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate(BEFORE)
        Person, Participant = old.get_model("cases", "Person"), old.get_model("cases", "Participant")
        iin = make_iin(date(1985, 3, 14))
        shared = Person.objects.create(
            iin=iin,
            last_name="Иванов",
            first_name="Ерлан",
            birth_date=date(1985, 3, 14),
            sex="M",
            address="г. Астана, пр. Абая, 1",
            phone="+7 701 000 00 01",
        )
        alone = Person.objects.create(
            iin=make_iin(date(1990, 1, 2)), last_name="Петров", first_name="Олег", birth_date=date(1990, 1, 2), sex="M"
        )
        today = date.today()
        in_first = Participant.objects.create(
            case_id=first.pk, person=shared, role=ParticipantRole.VICTIM, role_since=today
        )
        in_second = Participant.objects.create(
            case_id=second.pk, person=shared, role=ParticipantRole.SUSPECT, role_since=today
        )
        also_second = Participant.objects.create(
            case_id=second.pk, person=shared, role=ParticipantRole.CIVIL_DEFENDANT, role_since=today
        )
        Participant.objects.create(case_id=second.pk, person=alone, role=ParticipantRole.WITNESS, role_since=today)

        new = migrate(AFTER)
        Person, Participant = new.get_model("cases", "Person"), new.get_model("cases", "Participant")
        HistoricalPerson = new.get_model("cases", "HistoricalPerson")
        HistoricalParticipant = new.get_model("cases", "HistoricalParticipant")
        kept = Person.objects.get(pk=shared.pk)
        assert kept.case_id == first.pk  # the original row stays with its first case
        copy = Person.objects.get(iin=iin, case_id=second.pk)
        assert (copy.last_name, copy.address, copy.phone) == ("Иванов", "г. Астана, пр. Абая, 1", "+7 701 000 00 01")
        assert Participant.objects.get(pk=in_first.pk).person_id == kept.pk
        assert {Participant.objects.get(pk=p.pk).person_id for p in (in_second, also_second)} == {copy.pk}
        assert Person.objects.get(pk=alone.pk).case_id == second.pk
        assert Person.objects.count() == 3  # nothing deleted: two records of the shared person, one of the other
        # History: the copy is created, the original and the repointed participants changed, with the reason.
        assert HistoricalPerson.objects.get(id=copy.pk).history_type == "+"
        assert HistoricalPerson.objects.filter(id=kept.pk, history_type="~", case_id=first.pk).exists()
        for participant in (in_second, also_second):
            row = HistoricalParticipant.objects.filter(id=participant.pk).order_by("-history_id").first()
            assert (row.history_type, row.person_id) == ("~", copy.pk)
            assert "0011" in row.history_change_reason
    finally:
        migrate(latest)
