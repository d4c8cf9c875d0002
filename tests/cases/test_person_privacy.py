"""Persons belong to a case (issue #13, item 4) and grave cases need the fresh second factor everywhere (item 6).

* An IIN recorded only in a case the user does not see answers, on the page and in the API,
  byte for byte as an IIN recorded nowhere (CSRF tokens aside).
* Grave and especially grave cases' persons, search hits and list entries are shown in a browser
  session only with a second factor from the last ECASE_GRAVE_CASE_OTP_MINUTES.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection, transaction
from django.urls import reverse

from accounts.choices import Role
from cases.choices import ParticipantRole
from cases.services.participants import participant_add, person_link
from tests.api.helpers import Api, error_of, issue
from tests.auth import age_second_factor, verified_client
from tests.factories import make_iin, make_user, person_data, register

BORN = date(1985, 3, 14)
CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": ?|csrftoken=)"?[A-Za-z0-9]+')


class _Undo(Exception):
    pass


def _sequences() -> list[tuple[str, int | None]]:
    if connection.vendor != "postgresql":
        return []  # SQLite gives ids back with the rolled-back rows
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value "
            "FROM pg_sequences WHERE schemaname = current_schema()"
        )
        return cursor.fetchall()


def _restore(sequences) -> None:
    with connection.cursor() as cursor:
        for name, value in sequences:
            cursor.execute("SELECT setval(%s, %s, %s)", [name, value or 1, value is not None])


def undone(scenario):
    """Run ``scenario`` and undo every row it wrote, ids included, so that a second scenario starts from the same state."""
    sequences, result = _sequences(), []
    try:
        with transaction.atomic():
            result.append(scenario())
            raise _Undo
    except _Undo:
        pass
    _restore(sequences)
    return result[0]


def same_bytes(response) -> bytes:
    return CSRF.sub(rb"\1<csrf>", response.content)


@pytest.fixture
def taraz_boss(taraz):
    return make_user("supervisor.taraz", Role.SUPERVISOR, taraz, last_name="Оспанов", first_name="Бауыржан")


def test_an_iin_of_a_foreign_grave_case_answers_exactly_as_an_unknown_iin(case, investigator, outsider, taraz_boss):
    typed, other = make_iin(BORN), make_iin(BORN)
    client = verified_client(investigator)
    token = issue(investigator)

    def scenario(foreign_iin: str):
        # A Taraz grave case records a suspect: with the IIN the investigator is about to type, or another one.
        foreign = register(actor=outsider, articles=("99-1",), supervisor=taraz_boss)
        participant_add(
            case_id=foreign.pk,
            actor=outsider,
            role=ParticipantRole.WITNESS,
            person_data=person_data(
                iin=foreign_iin,
                last_name="Серіков",
                first_name="Асқар",
                address="г. Тараз, ул. Толе би, 12",
                phone="+7 701 000 00 01",
            ),
        )
        before = Api(token=token).get("/api/v1/persons/", iin=typed)
        added = client.post(
            reverse("cases:participant-add", args=[case.pk]),
            {
                "role": ParticipantRole.WITNESS,
                "iin": typed,
                "last_name": "Сериков",
                "first_name": "Аскар",
                "birth_date": BORN.isoformat(),
                "sex": "M",
                "address": "г. Астана, пр. Абая, 1",
                "phone": "+7 702 111 22 33",
                "role_since": "",
            },
        )
        responses = [
            before,
            added,
            client.get(reverse("cases:detail", args=[case.pk]), {"tab": "participants"}),
            client.get("/api/v1/persons/", {"iin": typed}),
            client.get(f"/api/v1/cases/{case.pk}/participants/"),
            Api(token=token).get("/api/v1/persons/", iin=typed),
        ]
        person_id = responses[3].json()["results"][0]["id"]
        responses.append(client.get(f"/api/v1/persons/{person_id}/"))
        return [(r.status_code, r.get("Location"), same_bytes(r)) for r in responses]

    known, unknown = undone(lambda: scenario(typed)), undone(lambda: scenario(other))
    assert known == unknown
    assert known[1][0] == 302 and known[0][2] == b'{"count":0,"next":null,"previous":null,"results":[]}'
    page = known[2][2].decode()
    assert "Сериков" in page and "Серіков" not in page and "Тараз" not in page
    person = known[6][2].decode()
    assert "пр. Абая" in person and "Толе би" not in person and "+7 701" not in person


@pytest.fixture
def grave(investigator, supervisor, prosecutor):
    case = register(
        actor=investigator,
        articles=("99-1",),
        supervisor=supervisor,
        prosecutor=prosecutor,
        plot="Нанёс удар бульдозером по торговому павильону.",
    )
    assert case.gravity >= 4
    return case


@pytest.fixture
def grave_suspect(investigator, grave):
    return participant_add(
        case_id=grave.pk,
        actor=investigator,
        role=ParticipantRole.WITNESS,
        person_data=person_data(
            last_name="Жолдасбеков", address="г. Астана, ул. Кенесары, 7", phone="+7 705 555 44 33"
        ),
    )


@pytest.mark.parametrize("fresh", [False, True], ids=["stale", "fresh"])
def test_grave_search_hits_and_list_entries_need_the_fresh_second_factor(
    investigator, case, grave, grave_suspect, fresh
):
    client = verified_client(investigator)
    if not fresh:
        age_second_factor(client)
    for q in (grave_suspect.person.iin, "Жолдасбеков", "бульдозером", ""):
        page = client.get(reverse("cases:list"), {"q": q} if q else {}).content.decode()
        assert (grave.registration_number in page) is fresh, q
        assert ("hidden, in the list and in search results" in page) is not fresh
        assert ('href="/accounts/2fa/verify/?next=' in page) is not fresh
        found = client.get("/api/v1/cases/", {"q": q} if q else {}).json()
        assert (grave.pk in [c["id"] for c in found["results"]]) is fresh, q
    assert case.registration_number in client.get(reverse("cases:list")).content.decode()  # ordinary: always


@pytest.mark.parametrize("fresh", [False, True], ids=["stale", "fresh"])
def test_grave_persons_need_the_fresh_second_factor_over_the_api_in_a_session(
    investigator, case, grave, grave_suspect, fresh
):
    ordinary = participant_add(
        case_id=case.pk,
        actor=investigator,
        role=ParticipantRole.WITNESS,
        person_data=person_data(iin=grave_suspect.person.iin, last_name="Жолдасбеков"),
    )
    person_link(person_id=ordinary.person_id, other_id=grave_suspect.person_id, actor=investigator, reason="Одно лицо")
    client = verified_client(investigator)
    if not fresh:
        age_second_factor(client)
    listed = client.get("/api/v1/persons/").json()["results"]
    assert (grave_suspect.person_id in [p["id"] for p in listed]) is fresh
    by_iin = client.get("/api/v1/persons/", {"iin": grave_suspect.person.iin}).json()["results"]
    assert sorted(p["id"] for p in by_iin) == sorted(
        [ordinary.person_id] + ([grave_suspect.person_id] if fresh else [])
    )
    assert "Кенесары" not in str(by_iin) or fresh
    detail = client.get(f"/api/v1/persons/{grave_suspect.person_id}/")
    assert detail.status_code == (200 if fresh else 403)
    assert ("Кенесары" in detail.content.decode()) is fresh
    if not fresh:
        assert error_of(detail)["code"] == "second_factor_required"
    assert client.get(f"/api/v1/participants/{grave_suspect.pk}/").status_code == (200 if fresh else 403)
    assert client.get(f"/api/v1/cases/{grave.pk}/participants/").status_code == (200 if fresh else 403)
    # The ordinary record opens either way; its roles in the linked grave case only with the fresh factor.
    roles = client.get(f"/api/v1/persons/{ordinary.person_id}/").json()["participations"]
    assert sorted(p["case"] for p in roles) == sorted([case.pk] + ([grave.pk] if fresh else []))


@pytest.mark.parametrize("fresh", [False, True], ids=["stale", "fresh"])
def test_the_prosecutors_offered_from_a_grave_case_need_the_fresh_second_factor(
    investigator, supervisor, astana, fresh
):
    grave_only = make_user("prosecutor.grave", Role.PROSECUTOR, astana, last_name="Тасмағамбетов", first_name="Ержан")
    register(actor=investigator, articles=("99-1",), supervisor=supervisor, prosecutor=grave_only)
    client = verified_client(investigator)
    if not fresh:
        age_second_factor(client)
    page = client.get(reverse("cases:register")).content.decode()
    assert ("Тасмағамбетов" in page) is fresh


@pytest.mark.parametrize("fresh", [False, True], ids=["stale", "fresh"])
def test_the_dashboard_lists_grave_cases_and_their_acts_only_with_the_fresh_second_factor(
    investigator, supervisor, case, grave, fresh
):
    from cases.models import ProceduralActType
    from cases.services.act_workflow import act_transition
    from cases.services.acts import act_create
    from tests.factories import author_only_requirement

    note = ProceduralActType.objects.create(code="dash_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    author_only_requirement(note, approval_article="test")  # signed, it waits in the head of unit's queue
    act = act_create(case_id=grave.pk, actor=investigator, act_type=note, language="ru", place="Астана")
    act_transition(act_id=act.pk, actor=investigator, action="sign")
    for user in (investigator, supervisor):
        client = verified_client(user)
        if not fresh:
            age_second_factor(client)
        page = client.get("/").content.decode()
        assert (grave.registration_number in page) is fresh, user
        assert ("hidden, in the list and in search results" in page) is not fresh
        assert (case.registration_number in page) or user == supervisor  # an ordinary case: always listed
