"""The act page's rendering state, the signed PDF download, and the public verification page."""

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from cases.act_transitions import ActAction
from cases.choices import ActStatus, RenderingState
from cases.models import ActRendering, ProceduralAct
from cases.pdf.storage import pdf_read
from cases.services.act_workflow import act_transition
from cases.services.acts import act_create
from tests.auth import verified_client
from tests.cases.signing_helpers import approved_act, author_signed_act, render_in_process, signed_act


def page(user, act):
    return verified_client(user).get(reverse("cases:act", args=[act.pk]))


def test_the_act_page_shows_the_queue_and_refreshes_itself_until_signed(case, investigator, supervisor, signing):
    act = approved_act(case, investigator, supervisor)
    response = page(investigator, act)
    assert response.status_code == 200 and response["Refresh"] == "3"
    body = response.content.decode()
    assert 'class="rendering-queued"' in body
    # Both signatures queued so far are listed with their signers, neither on the PDF yet.
    assert "Prepared and signed: Ахметов Нұрлан — Queued" in body
    assert f"Approved: {supervisor} — Queued" in body
    rendering = act.renderings.get(role="author")  # the page follows the round's first signature not on the PDF
    rendering.state = RenderingState.RENDERING
    rendering.save()
    assert 'class="rendering-rendering"' in page(investigator, act).content.decode()


def test_the_act_page_shows_a_failure_with_its_reason_and_stops_refreshing(case, investigator, supervisor, signing):
    act = render_in_process(author_signed_act(case, investigator))  # no certificate yet
    response = page(supervisor, act)
    body = response.content.decode()
    assert "Refresh" not in response and 'class="rendering-failed"' in body and "issue_certificate" in body


def test_a_failed_first_signature_is_shown_and_the_signatures_queued_behind_it_stop_the_refresh(
    case, investigator, supervisor, signing
):
    act = render_in_process(approved_act(case, investigator, supervisor))  # the author has no certificate yet
    assert list(act.renderings.order_by("step").values_list("state", flat=True)) == ["failed", "queued"]
    response = page(supervisor, act)
    body = response.content.decode()
    assert "Refresh" not in response and 'class="rendering-failed"' in body and "issue_certificate" in body


def test_the_act_page_of_a_signed_act_links_the_pdf_and_the_route(case, investigator, supervisor, signing):
    act = signed_act(case, investigator)
    response = page(investigator, act)
    body = response.content.decode()
    assert "Refresh" not in response and 'class="rendering-signed"' in body
    assert reverse("cases:act-pdf", args=[act.pk]) in body and act.pdf_sha256 in body
    assert body.count("<tr><td>") == 2  # the author's sign, the worker's seal
    assert reverse("verify:act", args=[act.verification_token]) in body


def test_approval_and_agreement_through_the_page_need_reauthentication_then_queue_each_signature(
    case, investigator, supervisor, prosecutor, published, django_capture_on_commit_callbacks
):
    act = approved_act(case, investigator, supervisor)  # a template for the submitted one below
    submitted = act_create(
        case_id=case.pk,
        actor=investigator,
        act_type=act.act_type,
        language="ru",
        place="Астана",
        fields=act.fields,
        participant_ids=list(act.participants.values_list("pk", flat=True)),
    )
    act_transition(act_id=submitted.pk, action=ActAction.SIGN, actor=investigator)
    url = reverse("cases:act-transition", args=[submitted.pk])
    stale = verified_client(supervisor).post(url, {"action": "approve"})
    assert (
        "reauthenticate" in stale["Location"]
        and ProceduralAct.objects.get(pk=submitted.pk).status == ActStatus.SUBMITTED
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client(supervisor, reauthenticated=True).post(url, {"action": "approve"})
    assert response.status_code == 302
    rendering = ActRendering.objects.get(act=submitted, role="approver")
    assert published() == [("cases.render_act", [rendering.pk])] and rendering.state == RenderingState.QUEUED
    assert ProceduralAct.objects.get(pk=submitted.pk).status == ActStatus.AWAITING_AGREEMENT
    # The prosecutor's agreement is a decision of the same weight: the password and second factor again.
    stale = verified_client(prosecutor).post(url, {"action": "agree"})
    assert (
        "reauthenticate" in stale["Location"]
        and ProceduralAct.objects.get(pk=submitted.pk).status == ActStatus.AWAITING_AGREEMENT
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client(prosecutor, reauthenticated=True).post(url, {"action": "agree"})
    assert response.status_code == 302
    agreed = ProceduralAct.objects.get(pk=submitted.pk)
    assert (agreed.status, agreed.agreed_by) == (ActStatus.APPROVED, prosecutor)
    rendering = ActRendering.objects.get(act=submitted, role="prosecutor")
    assert published()[-1] == ("cases.render_act", [rendering.pk]) and rendering.signer == prosecutor


def test_a_correction_is_drafted_from_the_page_and_opens_for_editing(case, investigator, supervisor, signing):
    act = signed_act(case, investigator)
    client = verified_client(investigator)
    assert 'value="supersede"' in page(investigator, act).content.decode()
    response = client.post(
        reverse("cases:act-transition", args=[act.pk]), {"action": "supersede", "reason": "Опечатка в дате"}
    )
    correction = ProceduralAct.objects.get(supersedes=act)
    assert response["Location"] == reverse("cases:act-edit", args=[correction.pk])
    assert f"№{correction.number}" in page(investigator, act).content.decode()
    assert 'value="supersede"' not in page(investigator, act).content.decode()


def test_readers_download_the_signed_pdf_and_each_download_is_logged(
    case, investigator, supervisor, prosecutor, signing
):
    act = signed_act(case, investigator)
    response = verified_client(prosecutor).get(reverse("cases:act-pdf", args=[act.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == act.pdf_sha256
    logged = AuditEvent.objects.filter(case_id=case.pk, event="act.pdf_downloaded").get()
    assert logged.actor == prosecutor and logged.data["sha256"] == act.pdf_sha256


def test_an_unsigned_act_has_no_pdf_to_download(case, investigator, supervisor):
    act = approved_act(case, investigator, supervisor)
    assert verified_client(investigator).get(reverse("cases:act-pdf", args=[act.pk])).status_code == 404


# --- the public verification page -------------------------------------------------------------


def verify_url(act):
    return reverse("verify:act", args=[act.verification_token])


def test_anyone_sees_who_signed_and_when_but_no_case_content(client, case, investigator, supervisor, signing):
    act = signed_act(case, investigator)
    body = client.get(verify_url(act)).content.decode()
    # A victim recognition needs the author's signature only: the author is who signed (issue #17).
    assert "Signed" in body and investigator.get_full_name() in body and act.pdf_sha256 in body
    assert supervisor.get_full_name() not in body
    for secret in (
        case.registration_number,
        "Сәрсенбаев",
        act.act_type.name_ru,
        act.act_type.name_kk,
        case.plot,
        reverse("cases:act", args=[act.pk]),
    ):
        assert secret not in body


def test_an_unknown_token_is_404_and_an_unsigned_act_says_so(client, case, investigator, supervisor):
    assert client.get(reverse("verify:act", args=["no-such-token-at-all"])).status_code == 404
    act = approved_act(case, investigator, supervisor)
    body = client.get(verify_url(act)).content.decode()
    assert "Not signed" in body and "Check a copy" not in body


def test_a_reader_of_the_case_gets_a_link_to_the_act_an_outsider_does_not(
    case, investigator, supervisor, outsider, signing
):
    act = signed_act(case, investigator)
    link = reverse("cases:act", args=[act.pk])
    assert link in verified_client(investigator).get(verify_url(act)).content.decode()
    assert link not in verified_client(outsider).get(verify_url(act)).content.decode()


def upload(client, act, data: bytes, name="copy.pdf"):
    return client.post(verify_url(act), {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})


def test_an_uploaded_copy_is_byte_identical_and_valid(client, case, investigator, supervisor, signing):
    act = signed_act(case, investigator)
    body = upload(client, act, pdf_read(act.pdf_sha256)).content.decode()
    result = body[body.index('id="result"') :]
    assert "<strong>yes</strong>" in result and "<strong>VALID</strong>" in result
    assert investigator.get_full_name() in result  # the author signed it (issue #17)


def test_a_tampered_copy_is_neither_identical_nor_valid(client, case, investigator, supervisor, signing):
    act = signed_act(case, investigator)
    pdf = pdf_read(act.pdf_sha256)
    middle = len(pdf) // 2
    body = upload(client, act, pdf[:middle] + bytes([pdf[middle] ^ 1]) + pdf[middle + 1 :]).content.decode()
    result = body[body.index('id="result"') :]
    assert "<strong>no</strong>" in result and "<strong>INVALID</strong>" in result


def test_another_validly_signed_act_is_valid_but_not_this_one(client, case, investigator, supervisor, signing):
    act, other = signed_act(case, investigator), signed_act(case, investigator)
    body = upload(client, act, pdf_read(other.pdf_sha256)).content.decode()
    result = body[body.index('id="result"') :]
    # Genuine, but another act's: never a bare VALID on this act's page (tests/cases/test_verify_page.py).
    assert "<strong>no</strong>" in result and "VALID, FOR ANOTHER ACT" in result and "DIFFERENT ACT" in result


def test_garbage_and_oversized_uploads_are_answered_not_crashed_on(
    client, case, investigator, supervisor, signing, settings
):
    act = signed_act(case, investigator)
    body = upload(client, act, b"not a pdf at all", name="x.pdf").content.decode()
    assert "<strong>INVALID</strong>" in body and "not a readable PDF" in body
    settings.ECASE_VERIFY_MAX_BYTES = 1024
    assert upload(client, act, b"%PDF" + b"0" * 2048).status_code == 400


def test_a_superseded_act_says_so_once_its_correction_is_signed(client, case, investigator, supervisor, signing):
    act = signed_act(case, investigator)
    act_transition(act_id=act.pk, action=ActAction.SUPERSEDE, actor=investigator, reason="Опечатка")
    correction = ProceduralAct.objects.get(supersedes=act)
    assert "superseded" not in client.get(verify_url(act)).content.decode()
    render_in_process(act_transition(act_id=correction.pk, action=ActAction.SIGN, actor=investigator))
    assert "superseded by a correction signed on" in client.get(verify_url(act)).content.decode()


def test_the_trust_roots_are_published_for_verifiers_elsewhere(client, signing):
    response = client.get(reverse("verify:trust-roots"))
    assert response.status_code == 200 and response.content.startswith(b"-----BEGIN CERTIFICATE-----")


def test_uploads_to_the_public_page_are_limited_per_address(client, case, investigator, supervisor, signing, settings):
    act = signed_act(case, investigator)
    settings.ECASE_VERIFY_UPLOADS_PER_MINUTE = 2
    pdf = pdf_read(act.pdf_sha256)
    assert [upload(client, act, pdf).status_code for _ in range(2)] == [200, 200]
    refused = upload(client, act, pdf)
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "Too many checks" in refused.content.decode() and 'id="result"' not in refused.content.decode()
    other = client.post(verify_url(act), {"file": SimpleUploadedFile("c.pdf", pdf)}, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200 and "<strong>VALID</strong>" in other.content.decode()


def test_the_verification_page_offers_the_language_switch(client, case, investigator, supervisor, signing):
    body = client.get(verify_url(signed_act(case, investigator))).content.decode()
    assert f'action="{reverse("accounts:language")}"' in body
    assert all(f'name="language" value="{code}"' in body for code in ("kk", "ru", "en"))
