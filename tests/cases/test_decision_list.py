"""The case page's decision list offers only what the transition table allows now (issue #16)."""

import re

from django.urls import reverse

from cases.choices import CaseAction
from cases.models import ProceduralActType
from cases.services.case import case_transition
from tests.auth import verified_client
from tests.cases.decrees import decree_move
from tests.cases.signing_helpers import certify


def offered(user, case) -> set[str]:
    body = verified_client(user).get(reverse("cases:detail", args=[case.pk])).content.decode()
    select = re.search(r'<select name="action" id="id_action">(.*?)</select>', body, re.S)
    return set(re.findall(r'<option value="([^"]+)"', select.group(1))) if select else set()


def test_fresh_case_offers_only_acceptance_and_no_resume(case, investigator):
    assert offered(investigator, case) == {CaseAction.START}


def drafting_links(user, case) -> set[str]:
    """The act types the case page links for drafting a decree (issue #18)."""
    page = verified_client(user).get(reverse("cases:detail", args=[case.pk])).content.decode()
    return set(re.findall(r"\?act_type=(\d+)", page))


def test_interrupted_case_offers_no_one_click_step_but_drafting_resumption_and_termination(
    signing, case, investigator, prosecutor
):
    case_transition(case_id=case.pk, action=CaseAction.START, actor=investigator)
    certify(investigator)
    certify(prosecutor)
    decree_move(case, CaseAction.INTERRUPT, investigator)
    assert offered(investigator, case) == set()
    codes = set(
        ProceduralActType.objects.filter(pk__in=drafting_links(investigator, case)).values_list("code", flat=True)
    )
    assert codes == {"term_resumption", "case_termination"}
    assert drafting_links(prosecutor, case) == set()  # the prosecutor drafts no decree


def test_the_prosecutor_sees_only_their_decision_the_status_allows(signing, case, investigator, supervisor, prosecutor):
    case_transition(case_id=case.pk, action=CaseAction.START, actor=investigator)
    certify(investigator)
    decree_move(case, CaseAction.SEND_TO_PROSECUTOR, investigator)
    # The return for additional investigation is the prosecutor's own decision now (issue #17).
    assert offered(prosecutor, case) == {CaseAction.RETURN}
    assert offered(supervisor, case) == set()  # the head of unit no longer records it for them
    assert offered(investigator, case) == set()  # nothing to decide: no empty form either
