"""The history screen: what changed, from → to, who and why, merged with the case's audit events."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.choices import EventType
from cases.choices import ParticipantRole
from cases.services.case import case_update
from cases.services.participants import participant_add, participant_change_role
from tests.auth import verified_client
from tests.factories import person_data, register


def history_page(user, case, **params):
    response = verified_client(user).get(reverse("cases:history", args=[case.pk]), params)
    assert response.status_code == 200
    return response


def test_it_shows_what_changed_from_what_to_what_who_and_why(investigator, case):
    case_update(
        case_id=case.pk,
        actor=investigator,
        expected_version=case.version,
        reason="Уточнена фабула",
        plot="Открыто похитил телефон.",
    )
    page = history_page(investigator, case).content.decode()
    assert "Тайно похитил телефон из сумки потерпевшей. → Открыто похитил телефон." in page
    assert "Уточнена фабула" in page
    assert "Ахметов Нұрлан (investigator)" in page


def test_participants_role_changes_appear_with_their_ground(investigator, case):
    participant = participant_add(
        case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data()
    )
    participant_change_role(
        participant_id=participant.pk,
        actor=investigator,
        role=ParticipantRole.DEFENDED_WITNESS,
        reason="Квалификация деяния",
    )
    entries = history_page(investigator, case).context["page"].object_list
    role_change = next(e for e in entries if e.kind == "history" and e.why == "Квалификация деяния")
    assert [(c.old, c.new) for c in role_change.changes if c.old != "—"]  # the old role → the new one
    assert any(e.kind == "event" and e.event == EventType.PARTICIPANT_CHANGED for e in entries)


def test_only_those_who_read_the_access_log_see_reads_and_addresses(investigator, supervisor, case):
    verified_client(supervisor).get(reverse("cases:detail", args=[case.pk]), REMOTE_ADDR="10.9.8.7")
    investigators_view = history_page(investigator, case)
    assert not any(e.event == EventType.CASE_OPENED for e in investigators_view.context["page"].object_list)
    assert "10.9.8.7" not in investigators_view.content.decode()
    supervisors_view = history_page(supervisor, case)
    assert any(e.event == EventType.CASE_OPENED for e in supervisors_view.context["page"].object_list)
    assert "10.9.8.7" in supervisors_view.content.decode()


def _case_with_changes(investigator, prosecutor, n):
    case = register(actor=investigator, prosecutor=prosecutor)
    for i in range(n):
        participant = participant_add(
            case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data()
        )
        participant_change_role(
            participant_id=participant.pk, actor=investigator, role=ParticipantRole.VICTIM, reason=f"Основание {i}"
        )
    return case


def test_a_page_costs_the_same_number_of_queries_however_many_rows_it_shows(investigator, prosecutor):
    # Each step writes five rows (the case's record of the person, the participant, its role change, two
    # events); 9 steps still fit one page of 50 with the case's own rows, so both pages show every source.
    small, large = _case_with_changes(investigator, prosecutor, 2), _case_with_changes(investigator, prosecutor, 9)
    counts = {}
    for name, case in (("small", small), ("large", large)):
        client = verified_client(investigator)
        client.get(reverse("cases:history", args=[case.pk]))  # warm the session
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("cases:history", args=[case.pk]))
        counts[name] = (len(queries.captured_queries), len(response.context["page"].object_list))
    assert counts["large"][1] > 3 * counts["small"][1]
    assert counts["large"][0] == counts["small"][0], counts


def test_the_timeline_pages(investigator, prosecutor):
    case = _case_with_changes(investigator, prosecutor, 30)
    first = history_page(investigator, case).context["page"]
    second = history_page(investigator, case, page=2).context["page"]
    assert first.paginator.count > 50 and len(first.object_list) == 50
    assert first.object_list[-1].when >= second.object_list[0].when
