"""Acts over the API: drafting with structured fields, the workflow, the signed PDF."""

import base64
import hashlib

import pytest

from audit.choices import EventType
from audit.models import AuditEvent
from cases.choices import ActStatus, ParticipantRole
from cases.models import ProceduralAct, ProceduralActType
from cases.services.acts import act_create
from cases.services.participants import participant_add
from tests.api.helpers import PDF, Api, error_of, if_match, issue, signed_act
from tests.factories import author_only_requirement, person_data

FIELDS = [
    {"name": "participant", "type": "participant", "required": True},
    {"name": "articles", "type": "article"},
    {"name": "claim_filed_on", "type": "date"},
    {"name": "claim_amount", "type": "integer"},
]


@pytest.fixture
def act_type(db):
    return ProceduralActType.objects.create(
        code="api_claim", name_ru="Постановление", name_kk="Қаулы", kind="resolution", fields=FIELDS
    )


@pytest.fixture
def victim(case, investigator):
    return participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data())


@pytest.fixture
def note_type(db):
    return ProceduralActType.objects.create(code="api_note", name_ru="Справка", name_kk="Анықтама", kind="other")


@pytest.fixture
def draft(case, investigator, note_type):
    return act_create(case_id=case.pk, actor=investigator, act_type=note_type, language="ru", place="Астана")


def test_an_investigator_drafts_an_act_with_structured_fields(investigator, case, act_type, victim):
    response = Api(token=issue(investigator)).post(
        f"/api/v1/cases/{case.pk}/acts/",
        {
            "act_type": "api_claim",
            "language": "kk",
            "place": "Астана",
            "participants": [victim.pk],
            "fields": {
                "participant": victim.pk,
                "articles": "188-1",
                "claim_filed_on": "2026-01-05",
                "claim_amount": 150000,
            },
        },
    )
    assert response.status_code == 201, response.content
    act = ProceduralAct.objects.get(pk=response.json()["id"])
    assert act.fields == {
        "participant": victim.pk,
        "articles": "188-1",
        "claim_filed_on": "2026-01-05",
        "claim_amount": 150000,
    }
    assert list(act.participants.all()) == [victim] and response["ETag"] == '"v1"'


@pytest.mark.parametrize(
    "fields,bad",
    [
        ({"participant": 999999}, "participant"),
        ({"claim_filed_on": "вчера"}, "claim_filed_on"),
        ({"claim_amount": "много"}, "claim_amount"),
        ({"articles": "999-9"}, "articles"),
        ({"nonsense": "x"}, "nonsense"),
        ({"claim_amount": {"nested": 1}}, "claim_amount"),
        # Control characters are refused before the view (ecase/control_chars.py), naming the field's path.
        ({"participant": "1\u0000"}, "fields.participant"),
        ({"claim_filed_on": "\ud800"}, "fields.claim_filed_on"),
    ],
)
def test_bad_structured_fields_are_400_with_the_field_named(investigator, case, act_type, fields, bad):
    response = Api(token=issue(investigator)).post(
        f"/api/v1/cases/{case.pk}/acts/",
        {"act_type": "api_claim", "language": "ru", "place": "Астана", "fields": fields},
    )
    assert response.status_code == 400 and bad in error_of(response)["fields"]
    assert not ProceduralAct.objects.exists()


def test_a_participant_of_another_case_cannot_be_attached(investigator, outsider, case, act_type):
    from tests.factories import register

    foreign = register(actor=outsider)
    stranger = participant_add(
        case_id=foreign.pk, actor=outsider, role=ParticipantRole.WITNESS, person_data=person_data()
    )
    response = Api(token=issue(investigator)).post(
        f"/api/v1/cases/{case.pk}/acts/",
        {"act_type": "api_claim", "language": "ru", "place": "Астана", "participants": [stranger.pk]},
    )
    assert response.status_code == 400 and "participants" in error_of(response)["fields"]


@pytest.fixture
def decided(case, investigator):
    """A draft whose requirements call for the head of unit's approval and the prosecutor's agreement."""
    act_type = ProceduralActType.objects.create(
        code="api_request", name_ru="Ходатайство", name_kk="Өтінішхат", kind="other"
    )
    author_only_requirement(act_type, approval_article="test", agreement_article="test", agreement_hours=24)
    return act_create(case_id=case.pk, actor=investigator, act_type=act_type, language="ru", place="Астана")


def step(api, act, action, **body):
    return api.post(f"/api/v1/acts/{act.pk}/transition/", {"action": action, **body}, headers=if_match(act))


def test_the_author_signs_with_a_token_and_the_act_states_what_the_law_still_requires(investigator, decided):
    api = Api(token=issue(investigator))
    assert api.get(f"/api/v1/acts/{decided.pk}/").json()["actions"] == ["sign"]
    response = step(api, decided, "sign")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["signed_by"]["username"], body["in_force"]) == (
        ActStatus.SUBMITTED,
        "investigator",
        False,
    )
    assert [(s["role"], s["signer"]["username"], s["state"]) for s in body["signatures"]] == [
        ("author", "investigator", "queued")
    ]
    steps = body["requirements"]
    assert steps["sign"]["done_at"] is not None
    assert steps["approve"]["required"] and steps["approve"]["done_at"] is None
    assert steps["agree"]["required"] and not steps["sanction"]["required"]


def test_decisions_with_a_token_are_refused_even_for_those_who_take_them(investigator, supervisor, decided):
    step(Api(token=issue(investigator)), decided, "sign")
    api = Api(token=issue(supervisor))
    assert api.get(f"/api/v1/acts/{decided.pk}/").json()["actions"] == ["approve", "return"]
    for action in ("approve", "return"):
        response = step(api, decided, action, reason="Нет")
        assert response.status_code == 403 and error_of(response)["code"] == "interactive_only"
    assert ProceduralAct.objects.get(pk=decided.pk).status == ActStatus.SUBMITTED


def test_approval_and_agreement_in_a_session_need_a_fresh_reauthentication(
    investigator, supervisor, prosecutor, decided
):
    step(Api(token=issue(investigator)), decided, "sign")
    stale = step(Api(session=supervisor), decided, "approve")
    assert stale.status_code == 403 and error_of(stale)["code"] == "reauthentication_required"
    fresh = step(Api(session=supervisor, reauthenticated=True), decided, "approve")
    assert fresh.status_code == 200 and fresh.json()["status"] == ActStatus.AWAITING_AGREEMENT
    assert fresh.json()["approved_by"]["username"] == "supervisor"
    assert fresh.json()["agreement_due_at"] is not None
    # The prosecutor is offered their decision and takes it as themself, re-authenticated like the head of unit.
    reader = Api(session=prosecutor)
    assert reader.get(f"/api/v1/acts/{decided.pk}/").json()["actions"] == ["agree", "refuse"]
    stale = step(reader, decided, "agree")
    assert stale.status_code == 403 and error_of(stale)["code"] == "reauthentication_required"
    refused = step(Api(session=prosecutor, reauthenticated=True), decided, "refuse")
    assert refused.status_code == 400 and "reason" in error_of(refused)["fields"]
    agreed = step(Api(session=prosecutor, reauthenticated=True), decided, "agree")
    assert agreed.status_code == 200 and agreed.json()["status"] == ActStatus.APPROVED
    assert agreed.json()["agreed_by"]["username"] == "prosecutor"
    roles = [(s["role"], s["signer"]["username"]) for s in agreed.json()["signatures"]]
    assert roles == [("author", "investigator"), ("approver", "supervisor"), ("prosecutor", "prosecutor")]


@pytest.mark.parametrize("action", ["seal", "submit"])
def test_nobody_seals_or_submits_through_the_api(investigator, decided, action):
    response = step(Api(token=issue(investigator)), decided, action)
    assert response.status_code == 400 and "action" in error_of(response)["fields"]
    assert ProceduralAct.objects.get(pk=decided.pk).status == ActStatus.DRAFT


def test_the_signed_pdf_downloads_with_its_digest_and_is_logged(investigator, supervisor, prosecutor, case, note_type):
    act = signed_act(case, investigator, note_type)
    response = Api(token=issue(prosecutor)).get(f"/api/v1/acts/{act.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    digest = base64.b64encode(hashlib.sha256(PDF).digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:" and act.pdf_sha256 == hashlib.sha256(PDF).hexdigest()
    event = AuditEvent.objects.get(event=EventType.ACT_PDF_DOWNLOADED)
    assert event.actor == prosecutor and event.case_id == case.pk and event.data["channel"] == "api"


def test_an_unsigned_act_has_no_pdf(investigator, draft):
    response = Api(token=issue(investigator)).get(f"/api/v1/acts/{draft.pk}/pdf/")
    assert response.status_code == 404 and error_of(response)["code"] == "no_pdf"
