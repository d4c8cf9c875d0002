"""The review page: the act as it will print beside its case; the head of unit approves or returns it,
the case's prosecutor agrees or refuses it (issue #17), each with a reason to send it back."""

import pytest
from django.urls import reverse

from accounts.services import unit_supervisors_group
from cases.act_transitions import ActAction
from cases.choices import ActStatus
from cases.models import ActTransition, ProceduralAct
from cases.qualification import qualification_label
from cases.services.act_workflow import act_transition
from cases.services.acts import act_create
from cases.services.participants import person_update
from tests.auth import verified_client
from tests.cases.signing_helpers import approved_act, submitted_act
from tests.factories import author_only_requirement


def review_url(act) -> str:
    return reverse("cases:act-review", args=[act.pk])


@pytest.fixture
def submitted(case, investigator):
    # A term extension request: the head of unit approves it, then the prosecutor agrees to it.
    return submitted_act(
        case, investigator, code="term_extension_request", language="kk", body="Мәтін <b>қалың</b> емес."
    )


def test_the_review_shows_the_printed_act_beside_the_case_summary(submitted, case, supervisor, investigator):
    response = verified_client(supervisor).get(review_url(submitted))
    body = response.content.decode()
    assert response.status_code == 200
    summary, preview = body.split('class="review-act"')
    for shown in (
        case.registration_number,
        qualification_label(case.articles.get(), None, "ru"),
        case.get_gravity_display(),
        case.deadline.strftime("%d.%m.%Y"),
        str(investigator),
        "Сәрсенбаев Әділ",
    ):
        assert shown in summary, shown
    # The layout of the PDF as the author signed it: the content frozen at the author's signature
    # (issue #17), naming the author; the approver's stamp is the layout's (tests/cases/test_act_layouts.py).
    assert '<p class="act-title">ҚАУЛЫ</p>' in preview and investigator.short_name() in preview
    assert case.registration_number in preview and 'class="act-box"' in preview
    # What the investigator typed is text, never markup.
    assert "Мәтін &lt;b&gt;қалың&lt;/b&gt; емес." in preview
    assert 'value="approve"' in summary and 'value="return"' in summary


def test_a_return_without_reason_shows_the_error_at_the_field_and_changes_nothing(submitted, supervisor):
    client = verified_client(supervisor, reauthenticated=True)
    response = client.post(review_url(submitted), {"action": "return", "reason": "  "})
    assert response.status_code == 400
    body = response.content.decode()
    field = body[body.index('for="id_reason"') : body.index("Return for rework</button>")]
    assert 'id="reason-errors"' in field and "State the reasons: the author reworks the act by them." in field
    act = ProceduralAct.objects.get(pk=submitted.pk)
    assert act.status == ActStatus.SUBMITTED and act.version == submitted.version
    assert list(ActTransition.objects.filter(act=act).values_list("action", flat=True)) == [ActAction.SIGN]


def test_approval_asks_for_reauthentication_first_then_approves(submitted, supervisor):
    stale = verified_client(supervisor).post(review_url(submitted), {"action": "approve"})
    assert stale.status_code == 302 and stale["Location"].startswith(reverse("accounts:reauthenticate"))
    assert "next=" + review_url(submitted).replace("/", "%2F") in stale["Location"]
    assert ProceduralAct.objects.get(pk=submitted.pk).status == ActStatus.SUBMITTED

    fresh = verified_client(supervisor, reauthenticated=True).post(review_url(submitted), {"action": "approve"})
    assert fresh.status_code == 302 and fresh["Location"] == reverse("cases:act", args=[submitted.pk])
    act = ProceduralAct.objects.get(pk=submitted.pk)
    # Approved by the head of unit, the request now waits for the prosecutor.
    assert act.status == ActStatus.AWAITING_AGREEMENT and act.approved_by == supervisor


def test_the_reason_typed_before_reauthentication_is_offered_again(submitted, supervisor):
    client = verified_client(supervisor)
    client.post(review_url(submitted), {"action": "return", "reason": "Не разъяснены права"})
    assert ProceduralAct.objects.get(pk=submitted.pk).status == ActStatus.SUBMITTED
    assert "Не разъяснены права</textarea>" in client.get(review_url(submitted)).content.decode()
    assert "Не разъяснены права</textarea>" not in client.get(review_url(submitted)).content.decode()


def test_after_reauthentication_the_pending_decision_comes_back_with_one_button_to_confirm(submitted, supervisor):
    from accounts.freshness import REAUTH_AT, stamp

    client = verified_client(supervisor)
    client.post(review_url(submitted), {"action": "approve"})  # stale: to the password-and-code page
    session = client.session
    stamp(type("R", (), {"session": session})(), REAUTH_AT)  # what the re-authentication page records
    session.save()
    body = client.get(review_url(submitted)).content.decode()
    assert 'id="pending-decision"' in body and "Confirm the approval</button>" in body
    assert 'autofocus aria-describedby="pending-decision">Confirm the approval' in body
    assert ProceduralAct.objects.get(pk=submitted.pk).status == ActStatus.SUBMITTED  # nothing recorded on a GET
    assert client.post(review_url(submitted), {"action": "approve"}).status_code == 302
    assert ProceduralAct.objects.get(pk=submitted.pk).status == ActStatus.AWAITING_AGREEMENT
    assert 'id="pending-decision"' not in client.get(review_url(submitted)).content.decode()


def test_a_pending_decision_is_not_offered_for_another_version_of_the_act(submitted, supervisor):
    from accounts.freshness import REAUTH_AT, stamp

    client = verified_client(supervisor)
    client.post(review_url(submitted), {"action": "return", "reason": "Не разъяснены права"})
    session = client.session
    # The decision was asked about an earlier version (the act was returned and resubmitted meanwhile).
    session[f"review-reason-{submitted.pk}"]["version"] = submitted.version - 1
    session.modified = True
    stamp(type("R", (), {"session": session})(), REAUTH_AT)
    session.save()
    body = client.get(review_url(submitted)).content.decode()
    assert 'id="pending-decision"' not in body and "Не разъяснены права</textarea>" in body


def test_a_return_with_its_reason_goes_back_to_the_author(submitted, supervisor):
    response = verified_client(supervisor, reauthenticated=True).post(
        review_url(submitted), {"action": "return", "reason": "Не разъяснены права потерпевшей"}
    )
    assert response.status_code == 302
    act = ProceduralAct.objects.get(pk=submitted.pk)
    assert act.status == ActStatus.RETURNED
    assert act.history.first().history_change_reason == "Не разъяснены права потерпевшей"


def test_the_author_is_offered_no_decision_on_their_own_act(case, investigator):
    # Even put into the unit's supervisors group by hand, the investigator holds no approval right:
    # group grants count for supervisors only (DESIGN §4), and CPC has another head decide on the act.
    # The review reads like the case (VIEW): the author sees it, with no decision to take.
    act = act_create(case_id=case.pk, actor=investigator, act_type=_note_type(), language="ru", place="Астана")
    act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator)
    investigator.groups.add(unit_supervisors_group(case.unit))
    client = verified_client(investigator, reauthenticated=True)
    body = client.get(review_url(act)).content.decode()
    assert 'name="action"' not in body and "You drafted this act: others decide on it." in body
    assert client.post(review_url(act), {"action": "approve"}).status_code == 403
    assert ProceduralAct.objects.get(pk=act.pk).status == ActStatus.SUBMITTED
    home = client.get("/").content.decode()
    assert review_url(act) not in home  # no approval queue for an investigator


def test_the_approval_queue_links_to_the_review(submitted, supervisor):
    assert review_url(submitted) in verified_client(supervisor).get("/").content.decode()


def _note_type():
    from cases.models import ProceduralActType

    act_type = ProceduralActType.objects.create(code="review_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    author_only_requirement(act_type, approval_article="test")
    return act_type


def test_an_approved_act_is_shown_as_frozen_for_its_pdf_and_offers_no_decision(submitted, supervisor, investigator):
    act_transition(act_id=submitted.pk, action=ActAction.APPROVE, actor=supervisor)
    person = submitted.participants.get().person
    person_update(person_id=person.pk, actor=investigator, reason="Исправлена фамилия", last_name="Сәрсенов")
    body = verified_client(supervisor).get(review_url(submitted)).content.decode()
    summary, preview = body.split('class="review-act"')
    assert "Сәрсенов Әділ" in summary and "Сәрсенбаев Әділ" in preview and "Сәрсенов Әділ" not in preview
    assert 'name="action"' not in body and "awaits no decision of yours" in body


def test_approving_from_the_act_page_comes_back_to_the_review_with_the_decision_filled(submitted, supervisor):
    from accounts.freshness import REAUTH_AT, stamp

    client = verified_client(supervisor)
    stale = client.post(reverse("cases:act-transition", args=[submitted.pk]), {"action": "approve"})
    assert stale.status_code == 302 and "next=" + review_url(submitted).replace("/", "%2F") in stale["Location"]
    session = client.session
    stamp(type("R", (), {"session": session})(), REAUTH_AT)
    session.save()
    body = client.get(review_url(submitted)).content.decode()
    assert 'id="pending-decision"' in body and "Confirm the approval</button>" in body
    assert ProceduralAct.objects.get(pk=submitted.pk).status == ActStatus.SUBMITTED


# --- the prosecutor's agreement (issue #17) --------------------------------------------------------


@pytest.fixture
def awaiting(case, investigator, supervisor):
    return approved_act(case, investigator, supervisor, language="ru")  # a misdemeanour protocol


def test_the_prosecutor_is_offered_agreement_or_refusal_with_the_due_time(awaiting, prosecutor, supervisor):
    body = verified_client(prosecutor).get(review_url(awaiting)).content.decode()
    summary = body.split('class="review-act"')[0]
    assert 'value="agree"' in summary and 'value="refuse"' in summary
    assert 'value="approve"' not in summary and 'value="return"' not in summary
    assert "agreement is due" in summary
    assert awaiting.agreement_due_at.astimezone().strftime("%d.%m.%Y") in summary
    # The head of unit has decided already: nothing more is theirs.
    other = verified_client(supervisor).get(review_url(awaiting)).content.decode()
    assert 'name="action"' not in other and "awaits no decision of yours" in other


def test_a_refusal_without_reason_changes_nothing_and_with_one_goes_back_to_the_author(awaiting, prosecutor):
    client = verified_client(prosecutor, reauthenticated=True)
    response = client.post(review_url(awaiting), {"action": "refuse", "reason": " "})
    assert response.status_code == 400
    act = ProceduralAct.objects.get(pk=awaiting.pk)
    assert (act.status, act.version) == (ActStatus.AWAITING_AGREEMENT, awaiting.version)
    response = client.post(review_url(awaiting), {"action": "refuse", "reason": "Основания не приведены"})
    assert response.status_code == 302
    act = ProceduralAct.objects.get(pk=awaiting.pk)
    assert act.status == ActStatus.REFUSED and act.agreed_by is None
    refusal = ActTransition.objects.get(act=act, action=ActAction.REFUSE)
    assert (refusal.actor, refusal.reason) == (awaiting.case.prosecutor, "Основания не приведены")


def test_agreement_asks_for_reauthentication_then_the_prosecutor_agrees_as_themself(awaiting, prosecutor):
    stale = verified_client(prosecutor).post(review_url(awaiting), {"action": "agree"})
    assert stale.status_code == 302 and stale["Location"].startswith(reverse("accounts:reauthenticate"))
    assert ProceduralAct.objects.get(pk=awaiting.pk).status == ActStatus.AWAITING_AGREEMENT
    fresh = verified_client(prosecutor, reauthenticated=True).post(review_url(awaiting), {"action": "agree"})
    assert fresh.status_code == 302
    act = ProceduralAct.objects.get(pk=awaiting.pk)
    assert (act.status, act.agreed_by) == (ActStatus.APPROVED, prosecutor)
    assert act.renderings.get(role="prosecutor").signer == prosecutor


def test_nobody_but_the_cases_prosecutor_agrees(awaiting, supervisor, investigator, colleague, outsider):
    for person in (supervisor, investigator, colleague, outsider):
        response = verified_client(person, reauthenticated=True).post(review_url(awaiting), {"action": "agree"})
        assert response.status_code in (403, 404), person
    assert ProceduralAct.objects.get(pk=awaiting.pk).status == ActStatus.AWAITING_AGREEMENT
