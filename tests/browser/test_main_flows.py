"""The main flow of each role in a real browser (issue #4 must-show)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import timezone

from cases.act_transitions import ActAction
from cases.choices import ActStatus, ParticipantRole
from cases.models import Case, Participant, ProceduralAct, ProceduralActType
from cases.services.act_workflow import act_transition
from cases.services.acts import act_create
from cases.services.participants import participant_add
from evidence.models import EvidenceFile
from evidence.services import evidence_add, evidence_file_add
from tests.browser.helpers import UNLABELLED, code, enrolled, sign_in
from tests.evidence.helpers import png_bytes
from tests.factories import PASSWORD, article, author_only_requirement, make_iin, person_data, register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_required_fields(page, act_type: ProceduralActType) -> None:
    """Fill the act type's required structured fields with plausible values."""
    for spec in act_type.fields:
        if not spec.get("required"):
            continue
        selector = f"#id_f_{spec['name']}"
        kind = spec.get("type", "text")
        if kind in ("participant", "evidence", "article", "choice"):
            options = page.locator(f"{selector} option").evaluate_all("os => os.map(o => o.value).filter(v => v)")
            page.select_option(selector, options[0])
        elif kind == "participants":
            options = page.locator(f"{selector} option").evaluate_all("os => os.map(o => o.value)")
            page.select_option(selector, options[:1])
        elif kind == "date":
            page.fill(selector, date.today().isoformat())
        elif kind == "datetime":
            page.fill(selector, timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
        elif kind == "time":
            page.fill(selector, "10:30")
        elif kind == "integer":
            page.fill(selector, "1")
        else:
            page.fill(selector, "Указано при составлении")


def add_participant(page, case, role: str, iin: str, last_name: str, first_name: str, born: str, sex: str) -> None:
    page.goto(f"/cases/{case.pk}/")
    page.click("text=Participants")  # the tab, swapped in by htmx
    page.wait_for_selector("text=Add a participant")
    page.click("text=Add a participant")
    page.wait_for_load_state()  # iin.js attaches on DOMContentLoaded: type the IIN after it
    page.select_option("#id_role", role)
    page.fill("#id_iin", iin)
    page.fill("#id_last_name", last_name)
    page.fill("#id_first_name", first_name)
    assert page.input_value("#id_birth_date") == born  # filled from the IIN as it was typed
    assert page.input_value("#id_sex") == sex
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))


def test_investigator_registers_a_case_adds_people_drafts_an_act_and_uploads_evidence(
    page_for, shot, investigator, prosecutor
):
    page = page_for()
    sign_in(page, investigator, enrol=True)
    shot(page, "dashboard")

    page.click("text=Register a case")
    page.select_option("#id_articles", [str(article("188-2").pk)])
    page.select_option("#id_proceedings_form", "inquiry")
    # The prosecutor is searched by surname (issue #4: no list of every prosecutor of the country).
    page.fill("#id_prosecutor_q", prosecutor.last_name[:4])
    page.wait_for_selector(f"#id_prosecutor option[value='{prosecutor.pk}']", state="attached")
    page.select_option("#id_prosecutor", str(prosecutor.pk))
    page.fill("#id_plot", "Неустановленное лицо тайно похитило ноутбук из кабинета.")
    shot(page, "register")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get()
    assert case.registration_number in page.content()
    shot(page, "case")

    victim_iin, suspect_iin = make_iin(date(1988, 4, 2), "F"), make_iin(date(2001, 11, 30), "M")
    add_participant(page, case, "victim", victim_iin, "Жақсыбекова", "Әлия", "1988-04-02", "F")
    # A suspect only by a decree in force (issue #18): the person is recorded as a witness first.
    add_participant(page, case, "witness", suspect_iin, "Омаров", "Ғалым", "2001-11-30", "M")
    assert {p.role for p in Participant.objects.filter(case=case)} == {ParticipantRole.VICTIM, ParticipantRole.WITNESS}
    shot(page, "participants")

    act_type = (
        ProceduralActType.objects.get(code="victim_recognition")
        if ProceduralActType.objects.filter(code="victim_recognition").exists()
        else ProceduralActType.objects.first()
    )
    page.goto(f"/cases/{case.pk}/?tab=acts")
    page.click("text=Draft an act")
    page.select_option("main form[method=get] #id_act_type", str(act_type.pk))
    page.click("text=Choose the type")
    page.fill("main form[method=post] #id_place", "г. Астана")
    page.select_option("main form[method=post] #id_language", "kk")
    fill_required_fields(page, act_type)
    shot(page, "act-form")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url(re.compile(r"/cases/acts/\d+/$"))
    page.click("main form button:has-text('Sign')")
    page.wait_for_url(re.compile(r"/cases/acts/\d+/$"))
    # A victim's recognition needs nothing but its author's signature: its PDF is being signed.
    signed = ProceduralAct.objects.get(case=case)
    assert (signed.status, signed.signed_by) == (ActStatus.APPROVED, investigator)
    assert list(signed.renderings.values_list("role", flat=True)) == ["author"]
    shot(page, "act-signed")

    page.goto(f"/cases/{case.pk}/?tab=evidence")
    page.click("text=Enter evidence")
    page.select_option("#id_kind", "physical")
    page.fill("#id_description", "Ноутбук Lenovo, серийный номер PF-12345")
    page.fill("#id_seized_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_seized_place", "г. Астана, ул. Кенесары, 40")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/evidence/\d+/$"))
    page.set_input_files("#id_file", files=[{"name": "фото.png", "mimeType": "image/png", "buffer": png_bytes(4, 4)}])
    page.click("text=Upload")
    page.wait_for_selector("a:has-text('фото.png')")  # sent by htmx: the page stays, its content is swapped
    assert EvidenceFile.objects.get().original_name == "фото.png"
    shot(page, "evidence")


@pytest.fixture
def two_submitted_acts(investigator, supervisor, prosecutor):
    """Two acts signed by their author, awaiting the head of unit's approval and then the prosecutor's agreement."""
    case = register(actor=investigator, prosecutor=prosecutor)
    act_type = ProceduralActType.objects.create(
        code="browser_note", name_ru="Справка", name_kk="Анықтама", kind="other"
    )
    author_only_requirement(act_type, approval_article="test", agreement_article="test", agreement_hours=24)
    acts = []
    for body in ("Первый акт", "Второй акт"):
        act = act_create(
            case_id=case.pk, actor=investigator, act_type=act_type, language="ru", place="Астана", body=body
        )
        acts.append(act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator))
    return acts


def test_supervisor_approves_after_reauthentication_in_one_confirmation_and_returns_another_with_a_reason(
    page_for, shot, supervisor, two_submitted_acts
):
    first, second = two_submitted_acts
    enrolled(supervisor)
    page = page_for()
    device = sign_in(page, supervisor)
    assert "Acts awaiting your approval" in page.content()
    shot(page, "queue")

    page.click(f"a[href='/cases/acts/{first.pk}/review/']")
    page.wait_for_url(f"**/cases/acts/{first.pk}/review/")
    # At 1366×768 the case and the act stand side by side, both starting in view.
    case_box, act_box = page.locator(".review-case").bounding_box(), page.locator(".act-sheet").bounding_box()
    assert act_box["x"] >= case_box["x"] + case_box["width"] and max(case_box["y"], act_box["y"]) < 300
    assert act_box["x"] + act_box["width"] <= 1366 and act_box["y"] + act_box["height"] <= 768
    assert "Первый акт" in page.inner_text(".act-sheet") and first.case.registration_number in page.inner_text(
        ".review-case"
    )
    assert page.evaluate(UNLABELLED) == []
    shot(page, "review")
    page.click("button:has-text('Approve')")
    page.wait_for_url("**/accounts/reauthenticate/**")
    shot(page, "reauthenticate")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_token", code(device, ahead=1))
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/cases/acts/{first.pk}/review/")
    assert ProceduralAct.objects.get(pk=first.pk).status == ActStatus.SUBMITTED  # a GET records nothing
    # The decision asked for comes back filled, its button focused: one confirmation records it (issue #16).
    assert page.is_visible("#pending-decision")
    assert page.evaluate("() => document.activeElement.textContent") == "Confirm the approval"
    shot(page, "confirm-approval")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/acts/{first.pk}/")
    assert ProceduralAct.objects.get(pk=first.pk).status == ActStatus.AWAITING_AGREEMENT
    shot(page, "approved")

    page.goto("/")
    page.click(f"a[href='/cases/acts/{second.pk}/review/']")
    page.wait_for_url(f"**/cases/acts/{second.pk}/review/")
    page.fill("#id_reason", "Не указаны права потерпевшей")
    shot(page, "return-reason")
    page.click("button:has-text('Return for rework')")
    page.wait_for_url(f"**/cases/acts/{second.pk}/")
    returned = ProceduralAct.objects.get(pk=second.pk)
    assert returned.status == ActStatus.RETURNED
    assert returned.history.first().history_change_reason == "Не указаны права потерпевшей"
    shot(page, "returned")


def test_prosecutor_reads_the_whole_file_and_finds_no_way_to_write(
    page_for, shot, investigator, prosecutor, settings, tmp_path
):
    settings.ECASE_PRIVATE_STORAGE = tmp_path / "files"
    case = register(actor=investigator, prosecutor=prosecutor)
    participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.VICTIM, person_data=person_data())
    item = evidence_add(
        case_id=case.pk,
        actor=investigator,
        kind="digital",
        description="Флешка",
        seized_at=case.registered_at,
        seized_place="Астана",
    )
    import io

    file = evidence_file_add(item_id=item.pk, actor=investigator, stream=io.BytesIO(png_bytes()), name="scan.png")
    enrolled(prosecutor)
    page = page_for()
    sign_in(page, prosecutor)
    page.goto(f"/cases/{case.pk}/")
    shot(page, "case")
    tabs = [f"/cases/{case.pk}/?tab={t}" for t in ("summary", "participants", "acts", "evidence", "term", "history")]
    for url in (*tabs, f"/evidence/{item.pk}/"):
        page.goto(url)
        writing_forms = page.locator("form[method=post]").evaluate_all(
            "fs => fs.map(f => f.getAttribute('action') || location.pathname)"
            ".filter(a => !a.includes('/logout/') && !a.includes('/language/'))"
        )
        assert writing_forms == [], f"{url} offers the prosecutor a form: {writing_forms}"
    with page.expect_download() as download:
        page.click(f"a[href='/evidence/files/{file.pk}/']")
    assert download.value.suggested_filename == "scan.png"
    response = page.goto(f"/cases/{case.pk}/edit/")
    assert response.status == 403
    shot(page, "refused")


def test_prosecutor_agrees_after_reauthentication_in_one_confirmation_and_refuses_another_with_reasons(
    page_for, shot, supervisor, prosecutor, two_submitted_acts
):
    """Issue #17: the procedural prosecutor decides in ecase, as themself, on the same review page."""
    first, second = two_submitted_acts
    for act in (first, second):
        act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=supervisor)
    enrolled(prosecutor)
    page = page_for()
    device = sign_in(page, prosecutor)
    assert "Acts awaiting your agreement" in page.content()
    shot(page, "agreement-queue")
    page.click(f"a[href='/cases/acts/{first.pk}/review/']")
    page.wait_for_url(f"**/cases/acts/{first.pk}/review/")
    assert page.is_visible("button:has-text('Agree')") and not page.is_visible("button:has-text('Approve')")
    page.click("button:has-text('Agree')")
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_token", code(device, ahead=1))
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/cases/acts/{first.pk}/review/")
    assert ProceduralAct.objects.get(pk=first.pk).status == ActStatus.AWAITING_AGREEMENT  # a GET records nothing
    assert page.evaluate("() => document.activeElement.textContent") == "Confirm the agreement"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/acts/{first.pk}/")
    agreed = ProceduralAct.objects.get(pk=first.pk)
    assert (agreed.status, agreed.agreed_by) == (ActStatus.APPROVED, prosecutor)
    assert "What the law requires" in page.content()
    shot(page, "agreed")

    page.goto(f"/cases/acts/{second.pk}/review/")
    page.click("button:has-text('Refuse agreement')")  # without reasons: the browser asks for them first
    assert ProceduralAct.objects.get(pk=second.pk).status == ActStatus.AWAITING_AGREEMENT
    page.fill("#id_reason", "Квалификация не подтверждена материалами")
    page.click("button:has-text('Refuse agreement')")
    page.wait_for_url(f"**/cases/acts/{second.pk}/")
    refused = ProceduralAct.objects.get(pk=second.pk)
    assert refused.status == ActStatus.REFUSED
    assert refused.transitions.last().reason == "Квалификация не подтверждена материалами"
    shot(page, "refused")
