"""The investigator's workspace in a real browser: keyboard only, labels, focus; upload progress (issue #4)."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from django.db import connection

from cases.choices import ParticipantRole
from cases.models import Case, Participant
from evidence.models import EvidenceFile
from evidence.services import evidence_add
from tests.browser.helpers import UNLABELLED, choose_with_arrows, code, enrolled, sign_in, tab_to
from tests.cases.signing_helpers import TEST_PASSPHRASE, certify, render_in_process
from tests.evidence.helpers import padded_png
from tests.factories import PASSWORD, make_iin, register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_investigator_registers_a_case_and_adds_a_participant_with_the_keyboard_only(
    page_for, shot, investigator, prosecutor
):
    enrolled(investigator)
    page = page_for()
    sign_in(page, investigator)  # the sign-in itself is the accounts' flow, tested there

    tab_to(page, "a[href='/cases/new/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/new/")
    assert page.evaluate(UNLABELLED) == []
    tab_to(page, "#id_articles_filter")  # the search box over the articles (static/js/articles.js)
    page.keyboard.type("188")
    page.keyboard.press("Enter")  # the first article 188 shown is chosen; the form is not sent
    assert page.eval_on_selector("#id_articles", "e => e.selectedOptions.length") == 1
    tab_to(page, "#id_proceedings_form")
    choose_with_arrows(page, "#id_proceedings_form", "inquiry")
    tab_to(page, "#id_plot")
    page.keyboard.type("Неустановленное лицо тайно похитило велосипед из подъезда.")
    tab_to(page, "#id_prosecutor_q")  # the search box before its list (issue #4)
    page.keyboard.type(prosecutor.last_name[:4])
    page.wait_for_selector(f"#id_prosecutor option[value='{prosecutor.pk}']", state="attached")
    tab_to(page, "#id_prosecutor")
    choose_with_arrows(page, "#id_prosecutor", str(prosecutor.pk))
    shot(page, "register")
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get()
    assert case.articles.get().article == "188" and case.prosecutor == prosecutor

    tab_to(page, "a[href='?tab=participants']")
    page.keyboard.press("Enter")  # htmx swaps the tab in; the focus stays on the tab
    page.wait_for_selector("a[href$='/participants/new/']")
    tab_to(page, "a[href$='/participants/new/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/participants/new/")
    assert page.evaluate(UNLABELLED) == []
    tab_to(page, "#id_role")
    choose_with_arrows(page, "#id_role", ParticipantRole.VICTIM)
    tab_to(page, "#id_iin")
    page.keyboard.type(make_iin(date(1990, 6, 15), "F"))  # birth date and sex follow from the IIN
    tab_to(page, "#id_last_name")
    page.keyboard.type("Сейітова")
    tab_to(page, "#id_first_name")
    page.keyboard.type("Мәдина")
    shot(page, "participant")
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    victim = Participant.objects.get(case=case)
    assert victim.role == ParticipantRole.VICTIM and victim.person.birth_date == date(1990, 6, 15)
    shot(page, "done")


@pytest.fixture
def item(investigator, prosecutor):
    case = register(actor=investigator, prosecutor=prosecutor)
    return evidence_add(
        case_id=case.pk,
        actor=investigator,
        kind="digital",
        description="Жёсткий диск",
        seized_at=case.registered_at,
        seized_place="Астана",
    )


def test_a_large_upload_shows_its_progress_as_a_bar_and_as_text(page_for, shot, investigator, item):
    enrolled(investigator)
    page = page_for()
    sign_in(page, investigator)
    page.goto(f"/evidence/{item.pk}/")
    assert page.evaluate(UNLABELLED) == []
    # Record what the bar and its text showed at every progress event (after upload.js updated them).
    page.evaluate("""() => { window.seen = [];
        document.addEventListener('htmx:xhr:progress', e => window.seen.push(
            [e.target.querySelector('progress').value, e.target.querySelector('[data-upload-text]').textContent])); }""")
    # A slow line, as in a district station: 4 MB at 2 MB/s.
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 2 * 1024 * 1024},
    )
    page.set_input_files(
        "#id_file", files=[{"name": "диск.png", "mimeType": "image/png", "buffer": padded_png(4 * 1024 * 1024)}]
    )
    page.click("text=Upload")
    page.wait_for_function("() => window.seen.some(s => s[0] > 0 && s[0] < 100)")
    shot(page, "uploading")
    page.wait_for_selector("a:has-text('диск.png')")
    shot(page, "uploaded")
    seen = page.evaluate("window.seen")
    middle = next(s for s in seen if 0 < s[0] < 100)
    assert re.search(rf"{int(middle[0])}% \(\d+\.\d / 4\.0 MB\)", middle[1]), middle
    assert seen[-1][0] == 100
    assert EvidenceFile.objects.get().size == 4 * 1024 * 1024

    # A refused file comes back as the form with its error, on the same page.
    page.set_input_files("#id_file", files=[{"name": "пусто.png", "mimeType": "image/png", "buffer": b""}])
    page.click("text=Upload")
    page.wait_for_selector(".errors:has-text('The file is empty.')")
    assert EvidenceFile.objects.count() == 1


def test_the_upload_works_without_javascript(page_for, investigator, item):
    enrolled(investigator)
    page = page_for(java_script_enabled=False)
    sign_in(page, investigator)
    page.goto(f"/evidence/{item.pk}/")
    assert page.locator("[data-upload-progress]").is_hidden()
    page.set_input_files(
        "#id_file", files=[{"name": "скан.png", "mimeType": "image/png", "buffer": padded_png(64 * 1024)}]
    )
    page.click("text=Upload")
    page.wait_for_url(f"**/evidence/{item.pk}/")
    assert EvidenceFile.objects.get().original_name == "скан.png"
    assert "скан.png" in page.content()


def render_and_close(act):
    try:
        render_in_process(act)
    finally:
        connection.close()  # the thread's own connection, or the test database cannot be dropped


def test_the_term_tab_requests_an_extension_and_the_prosecutor_agrees_to_it(
    page_for, shot, investigator, supervisor, prosecutor, settings, tmp_path
):
    from cases.act_transitions import ActAction
    from cases.models import ExtensionDecision, ProceduralAct
    from cases.services.act_workflow import act_transition

    settings.ECASE_SIGNING_PASSPHRASE = TEST_PASSPHRASE
    settings.ECASE_PRIVATE_STORAGE = tmp_path / "private"

    case = register(actor=investigator, prosecutor=prosecutor)
    deadline = case.deadline
    enrolled(investigator)
    page = page_for()
    sign_in(page, investigator)
    page.goto(f"/cases/{case.pk}/?tab=term")
    page.click("text=Request a term extension")
    page.fill("#id_days", "30")
    page.fill("#id_reasons", "Назначена судебная экспертиза, заключение не получено.")
    page.fill("#id_planned_actions", "Получить заключение эксперта.")
    assert page.evaluate(UNLABELLED) == []
    shot(page, "request")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/cases/acts/\d+/$"))
    page.click("main form.inline-form button:text-is('Sign')")  # the author signs the request (issue #17)
    page.wait_for_url(re.compile(r"/cases/acts/\d+/$"))
    act = ProceduralAct.objects.get(case=case)
    assert act.status == "submitted" and act.fields["current_term_expires_on"] == deadline.isoformat()
    page.goto(f"/cases/{case.pk}/?tab=term")
    assert page.locator(".pending-request").is_visible()
    shot(page, "pending")

    # The head of unit's approval here; the prosecutor agrees in the browser, as themself (issue #17).
    act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=supervisor)
    enrolled(prosecutor)
    boss = page_for()
    device = sign_in(boss, prosecutor)
    assert "Acts awaiting your agreement" in boss.content()
    boss.click(f"a[href='/cases/acts/{act.pk}/review/']")
    boss.wait_for_url(f"**/cases/acts/{act.pk}/review/")
    assert boss.evaluate(UNLABELLED) == []
    shot(boss, "decision")
    boss.click("button:has-text('Agree')")
    boss.wait_for_url("**/accounts/reauthenticate/**")
    boss.fill("#id_password", PASSWORD)
    boss.fill("#id_token", code(device, ahead=1))
    boss.click("main button[type=submit]")
    boss.wait_for_url(f"**/cases/acts/{act.pk}/review/")
    boss.keyboard.press("Enter")  # the decision comes back filled, its button focused (issue #16)
    boss.wait_for_url(f"**/cases/acts/{act.pk}/")
    decision = ExtensionDecision.objects.get()
    assert decision.granted and decision.extension.days == 30 and decision.decided_by == prosecutor
    assert Case.objects.get(pk=case.pk).deadline == deadline + timedelta(days=30)
    shot(boss, "extended")
    # Then the worker's task appends the three signatures. pyHanko's synchronous API starts an event
    # loop of its own, which Playwright's (running in this thread) forbids, so the task runs in a
    # thread beside it, as it would in a worker process.
    for user in (investigator, supervisor, prosecutor):
        certify(user)
    worker = threading.Thread(target=render_and_close, args=(act,))
    worker.start()
    worker.join(timeout=120)
    assert ProceduralAct.objects.get(pk=act.pk).status == "signed"
