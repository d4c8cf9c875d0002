"""The case page's decision list offers only what the transition table allows now (issue #16)."""

import re

from django.urls import reverse

from cases.choices import CaseAction
from cases.services.case import case_transition
from tests.auth import verified_client


def offered(user, case) -> set[str]:
    body = verified_client(user).get(reverse("cases:detail", args=[case.pk])).content.decode()
    select = re.search(r'<select name="action" id="id_action">(.*?)</select>', body, re.S)
    return set(re.findall(r'<option value="([^"]+)"', select.group(1))) if select else set()


def test_fresh_case_offers_only_acceptance_and_no_resume(case, investigator):
    assert offered(investigator, case) == {CaseAction.START}


def test_interrupted_case_offers_resume_and_termination(case, investigator):
    case_transition(case_id=case.pk, action=CaseAction.START, actor=investigator)
    case_transition(
        case_id=case.pk, action=CaseAction.INTERRUPT, actor=investigator, reason="Розыск", ground="п. 1 ч. 1 ст. 45 УПК"
    )
    assert offered(investigator, case) == {CaseAction.RESUME, CaseAction.TERMINATE}


def test_the_prosecutor_sees_only_their_decision_the_status_allows(case, investigator, supervisor, prosecutor):
    case_transition(case_id=case.pk, action=CaseAction.START, actor=investigator)
    case_transition(case_id=case.pk, action=CaseAction.SEND_TO_PROSECUTOR, actor=investigator)
    # The return for additional investigation is the prosecutor's own decision now (issue #17).
    assert offered(prosecutor, case) == {CaseAction.RETURN}
    assert offered(supervisor, case) == set()  # the head of unit no longer records it for them
    assert offered(investigator, case) == set()  # nothing to decide: no empty form either
