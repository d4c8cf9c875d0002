"""Grave and especially grave cases over the API: out of a token's reach unless an administrator granted them.

A browser opens such a case only after a second factor from the last minutes; a token holds
no second factor. So by default a token does not reach them at all — 404 as for an absent case,
logged with the reason — and an administrator may issue a token with ``--grave-cases``, which
the audit trail records. (The route × role sweep of grave cases is in tests/test_api_sweep.py.)
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.models import ApiToken
from audit.choices import EventType
from audit.models import AuditEvent
from cases.choices import ParticipantRole
from cases.services.participants import participant_add, person_link
from tests.api.helpers import Api, error_of, issue
from tests.auth import age_second_factor
from tests.factories import author_only_requirement, person_data, register


@pytest.fixture
def grave(investigator, supervisor, prosecutor):
    case = register(actor=investigator, articles=("99-1",), supervisor=supervisor, prosecutor=prosecutor)
    assert case.gravity >= 4
    return case


@pytest.fixture
def shared_person(investigator, case, grave):
    """One person who is a witness in an ordinary case and in the grave one: a record in each case,
    linked as one person by the investigator, who sees both."""
    ordinary = participant_add(
        case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data()
    )
    suspect = participant_add(
        case_id=grave.pk,
        actor=investigator,
        role=ParticipantRole.WITNESS,
        person_data={**person_data(), "iin": ordinary.person.iin},
    )
    person_link(person_id=ordinary.person_id, other_id=suspect.person_id, actor=investigator, reason="Одно лицо")
    return ordinary.person


def test_a_token_reaches_no_grave_case_and_the_refusal_is_indistinguishable_but_logged(investigator, grave):
    raw = issue(investigator)
    api = Api(token=raw)
    refused, absent = api.get(f"/api/v1/cases/{grave.pk}/"), api.get("/api/v1/cases/999999999/")
    assert refused.status_code == absent.status_code == 404
    assert {**error_of(refused), "request_id": ""} == {**error_of(absent), "request_id": ""}
    event = AuditEvent.objects.get(event=EventType.ACCESS_DENIED, case_id=grave.pk)
    assert event.actor == investigator
    assert event.data["reason"] == "grave_case_outside_token_scope" and event.data["status"] == 404
    assert not AuditEvent.objects.filter(event=EventType.CASE_OPENED, case_id=grave.pk).exists()


def test_lists_and_persons_leave_grave_cases_out_for_a_token(investigator, case, grave, shared_person):
    api = Api(token=issue(investigator))
    assert [c["id"] for c in api.get("/api/v1/cases/").json()["results"]] == [case.pk]
    assert api.get("/api/v1/cases/", gravity=grave.gravity).json()["count"] == 0
    assert [c["id"] for c in api.get("/api/v1/cases/", q=shared_person.iin).json()["results"]] == [case.pk]
    assert api.get("/api/v1/cases/", q=grave.registration_number).json()["count"] == 0
    person = api.get(f"/api/v1/persons/{shared_person.pk}/").json()
    assert [p["case"] for p in person["participations"]] == [case.pk]


def test_a_person_seen_only_in_a_grave_case_is_not_found_with_a_token(investigator, grave):
    suspect = participant_add(
        case_id=grave.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data()
    )
    api = Api(token=issue(investigator))
    assert api.get("/api/v1/persons/", iin=suspect.person.iin).json()["count"] == 0
    assert api.get(f"/api/v1/persons/{suspect.person_id}/").status_code == 404
    assert api.get(f"/api/v1/participants/{suspect.pk}/").status_code == 404


def test_a_token_issued_for_grave_cases_reaches_them(investigator, colleague, admin, case, grave, shared_person):
    api = Api(token=issue(investigator, grave_cases=True, admin=admin))
    assert api.get("/api/v1/me/").json()["token"]["grave_cases"] is True
    assert {c["id"] for c in api.get("/api/v1/cases/").json()["results"]} == {case.pk, grave.pk}
    assert api.get(f"/api/v1/cases/{grave.pk}/").status_code == 200
    person = api.get(f"/api/v1/persons/{shared_person.pk}/").json()
    assert sorted(p["case"] for p in person["participations"]) == sorted([case.pk, grave.pk])
    # Still only the user's own cases: the grant widens the token to the user's scope, no further.
    assert (
        Api(token=issue(colleague, grave_cases=True, admin=admin)).get(f"/api/v1/cases/{grave.pk}/").status_code == 404
    )


def issue_by_command(*args) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("issue_api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_only_a_named_administrator_issues_a_token_for_grave_cases(investigator, supervisor, admin):
    with pytest.raises(CommandError, match="named administrator"):
        issue_by_command("investigator", "--grave-cases")
    with pytest.raises(CommandError, match="no active administrator"):
        issue_by_command("investigator", "--grave-cases", "--by", "supervisor")
    assert not ApiToken.objects.exists()
    assert not ApiToken.objects.get(prefix=issue_by_command("investigator").split("_")[1]).grave_cases
    raw = issue_by_command("investigator", "--grave-cases", "--by", "admin")
    token = ApiToken.objects.get(prefix=raw.split("_")[1])
    assert token.grave_cases and token.created_by == admin
    event = AuditEvent.objects.get(event=EventType.TOKEN_ISSUED, data__prefix=token.prefix)
    assert event.actor == admin and event.data["grave_cases"] is True


# The race of a requalification: the view looks the object up while the case is ordinary, and
# the case becomes grave before the service locks it. The grave-case rule is checked again by the
# service on the locked row (cases.access.locking.case_check), so nothing is written.


def qualification_draft(case, investigator):
    """A qualification decree of ``case``; the races below have the effect engine apply it at a chosen moment."""
    from cases.models import ProceduralActType
    from cases.services.acts import act_create

    qualification = ProceduralActType.objects.get(code="qualification")
    return act_create(
        case_id=case.pk, actor=investigator, act_type=qualification, language="ru", place="Астана", fields={}
    )


@pytest.fixture
def requalified_after_lookup(monkeypatch, investigator, supervisor, prosecutor):
    """An ordinary case (its supervisor named) that becomes especially grave right after a view's lookup."""
    from cases.access.api import ScopedAPIView
    from cases.access.views import CaseScopedView
    from cases.models import Case
    from cases.services.case import case_requalify
    from tests.factories import article
    from tests.test_access_sweep import row_counts

    ordinary = register(actor=investigator, supervisor=supervisor, prosecutor=prosecutor, form="investigation")
    assert ordinary.gravity < 4
    decree = qualification_draft(ordinary, investigator)

    def requalify():
        current = Case.objects.get(pk=ordinary.pk)
        if current.gravity < 4:
            # The qualification decree comes into force meanwhile: the engine's call (cases/services/effects.py).
            case_requalify(act=decree, actor=investigator, articles=[article("99-1")])
            ordinary.rows_after_requalification = row_counts()

    for view in (ScopedAPIView, CaseScopedView):

        def get_object_then_requalify(self, *args, _original=view.get_object, **kwargs):
            found = _original(self, *args, **kwargs)
            requalify()
            return found

        monkeypatch.setattr(view, "get_object", get_object_then_requalify)
    return ordinary


def _writes(case, investigator):
    """Every kind of write the API takes on a case's parts: (method, url, body, If-Match builder)."""
    from cases.models import Case, ProceduralActType
    from cases.services.acts import act_create
    from evidence.api import chain_length
    from evidence.services import evidence_add

    note = ProceduralActType.objects.create(code="race_note", name_ru="Справка", name_kk="Анықтама", kind="other")

    author_only_requirement(note, approval_article="test")  # signed by the author, then approved
    act = act_create(case_id=case.pk, actor=investigator, act_type=note, language="ru", place="Астана")
    item = evidence_add(
        case_id=case.pk,
        actor=investigator,
        kind="physical",
        description="Нож",
        seized_at=case.registered_at,
        seized_place="Астана",
    )
    return note, {
        "create act": (
            "POST",
            f"/api/v1/cases/{case.pk}/acts/",
            {"act_type": note.code, "language": "ru", "place": "Астана"},
            lambda: None,
        ),
        "edit act": ("PATCH", f"/api/v1/acts/{act.pk}/", {"body": "Иначе."}, lambda: '"v1"'),
        "sign act": ("POST", f"/api/v1/acts/{act.pk}/transition/", {"action": "sign"}, lambda: '"v1"'),
        "custody": (
            "POST",
            f"/api/v1/evidence/{item.pk}/custody/",
            {"to_holder": "Эксперт", "reason": "Экспертиза"},
            lambda: f'"v{chain_length(item.pk)}"',
        ),
        "edit case": (
            "PATCH",
            f"/api/v1/cases/{case.pk}/",
            {"plot": "Иначе.", "reason": "x"},
            lambda: f'"v{Case.objects.get(pk=case.pk).version}"',
        ),
    }


@pytest.mark.parametrize("write", ["create act", "edit act", "sign act", "custody", "edit case"])
def test_a_case_requalified_as_grave_after_the_lookup_is_refused_under_the_lock(
    requalified_after_lookup, investigator, write
):
    from cases.models import Case
    from tests.test_access_sweep import row_counts

    case = requalified_after_lookup
    _note, writes = _writes(case, investigator)
    method, url, body, version = writes[write]
    api = Api(token=issue(investigator))
    response = api.request(method, url, body, headers={"If-Match": version()} if version() else None)
    assert response.status_code == 404 and error_of(response)["code"] == "not_found", response.content
    assert Case.objects.get(pk=case.pk).gravity >= 4  # the requalification went through, the write did not
    assert row_counts() == case.rows_after_requalification
    event = AuditEvent.objects.filter(event=EventType.ACCESS_DENIED, case_id=case.pk).latest("id")
    assert event.data["reason"] == "grave_case_outside_token_scope"


def test_a_session_without_a_recent_second_factor_is_refused_under_the_lock(requalified_after_lookup, investigator):
    from cases.models import ProceduralAct

    case = requalified_after_lookup
    note, writes = _writes(case, investigator)
    acts = ProceduralAct.objects.count()
    api = Api(session=investigator)
    age_second_factor(api.client)
    method, url, body, _version = writes["create act"]
    response = api.request(method, url, body)
    assert response.status_code == 403 and error_of(response)["code"] == "second_factor_required"
    assert ProceduralAct.objects.count() == acts


def test_a_token_issued_for_grave_cases_still_writes_after_a_requalification(
    requalified_after_lookup, investigator, admin
):
    case = requalified_after_lookup
    _note, writes = _writes(case, investigator)
    method, url, body, _version = writes["create act"]
    response = Api(token=issue(investigator, grave_cases=True, admin=admin)).request(method, url, body)
    assert response.status_code == 201, response.content


def test_a_page_sends_to_the_second_factor_when_the_case_became_grave_meanwhile(requalified_after_lookup, investigator):
    """The pages' twin: the form was posted for an ordinary case, the service finds a grave one."""
    from django.urls import reverse

    from cases.models import ProceduralAct
    from tests.auth import stale_otp_client

    case = requalified_after_lookup
    note, _parts = _writes(case, investigator)
    acts = ProceduralAct.objects.count()
    url = reverse("cases:act-create", args=[case.pk])
    response = stale_otp_client(investigator).post(url, {"act_type": note.pk, "language": "ru", "place": "Астана"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp-verify"))
    assert ProceduralAct.objects.count() == acts


def test_every_locking_service_runs_the_request_case_check_on_the_locked_row(investigator, supervisor):
    """The services themselves, with a case check as a token's scope sets it: whatever a caller looked up
    before, the check sees the case as locked — and a refusal leaves nothing behind."""
    from cases.access.api import OutsideTokenScope
    from cases.access.locking import case_check
    from cases.act_transitions import ActAction
    from cases.models import Case, ProceduralAct, ProceduralActType
    from cases.services.act_workflow import act_transition
    from cases.services.acts import act_create
    from cases.services.case import case_requalify
    from tests.factories import article

    case = register(actor=investigator, supervisor=supervisor, form="investigation")
    note = ProceduralActType.objects.create(code="guard_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    author_only_requirement(note, approval_article="test")  # signed by the author, then approved
    act = act_create(case_id=case.pk, actor=investigator, act_type=note, language="ru", place="Астана")
    decree = qualification_draft(case, investigator)
    seen = []

    def token_scope(locked: Case) -> None:
        seen.append(locked.gravity)
        if locked.gravity >= 4:
            raise OutsideTokenScope("grave", case_id=locked.pk)

    with case_check(token_scope):
        act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator)
        # Requalified meanwhile (the check sees the case before the change, still ordinary).
        case_requalify(act=decree, actor=investigator, articles=[article("99-1")])  # its decree in force
        with pytest.raises(OutsideTokenScope):
            act_transition(act_id=act.pk, action=ActAction.RETURN, actor=supervisor, reason="x")
        with pytest.raises(OutsideTokenScope):
            act_create(case_id=case.pk, actor=investigator, act_type=note, language="ru", place="Астана")
    # The decree's requalification runs in the worker's step, outside any request: no request check there.
    assert seen == [case.gravity, 5, 5]
    assert ProceduralAct.objects.get(pk=act.pk).status == "submitted"
    assert ProceduralAct.objects.filter(case=case).exclude(pk=decree.pk).count() == 1
    # Without a case check (a worker, a management command) the same step goes through.
    act_transition(act_id=act.pk, action=ActAction.RETURN, actor=supervisor, reason="x")
