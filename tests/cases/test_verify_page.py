"""The public verification page says which act an uploaded PDF is, and when it is not this page's act.

Real signed PDFs (rendered and signed by the worker's task, in process). A genuine signature
of another act used to read "VALID" on any act's page; now the page compares what the file
itself states (its title and subject, covered by the signature) with the act it is for, and
shows that statement — nothing the file does not already contain, and nothing for an invalid file.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.pdf.storage import pdf_read
from cases.signing.verify import stated_act, verify_pdf
from tests.cases.signing_helpers import fully_signed_act, signed_act, submitted_act
from tests.factories import register


def check(client, act, data: bytes) -> str:
    response = client.post(
        reverse("verify:act", args=[act.verification_token]),
        {"file": SimpleUploadedFile("copy.pdf", data, content_type="application/pdf")},
    )
    assert response.status_code == 200
    body = response.content.decode()
    return body[body.index('id="result"') :]


def test_the_pdf_states_its_act_type_number_and_case(case, investigator, supervisor, signing):
    act = signed_act(case, investigator)
    stated = stated_act(pdf_read(act.pdf_sha256))
    assert act.act_type.name_kk in stated.title and f"№ {act.number}" in stated.title
    assert case.registration_number in stated.subject
    assert verify_pdf(pdf_read(act.pdf_sha256)).stated == stated


def test_the_own_pdf_is_this_act_and_says_which_act_it_is(client, case, investigator, supervisor, prosecutor, signing):
    act = fully_signed_act(case, investigator, supervisor, prosecutor)
    result = check(client, act, pdf_read(act.pdf_sha256))
    assert "This is the signed act this page is for." in result and "<strong>VALID</strong>" in result
    assert "DIFFERENT ACT" not in result
    assert 'data-role="author">Ахметов Нұрлан' in result and 'data-role="approver">Серікова Әсем' in result
    assert f"{act.act_type.name_kk} № {act.number}" in result and case.registration_number in result


def test_a_genuine_pdf_of_another_act_of_the_same_case_is_called_a_different_act(
    client, case, investigator, supervisor, signing
):
    act, other = signed_act(case, investigator), signed_act(case, investigator)
    result = check(client, act, pdf_read(other.pdf_sha256))
    assert "DIFFERENT ACT: the signature is genuine, but it signs another act" in result
    assert "VALID, FOR ANOTHER ACT" in result and "<strong>VALID</strong>" not in result
    assert "This is the signed act this page is for." not in result
    # which act it is, in the file's own words: the other act's number
    stated = result[result.index('id="stated"') :]
    assert f"№ {other.number}" in stated and f"№ {act.number}<" not in stated


def test_a_genuine_pdf_of_another_cases_act_names_that_case_as_the_pdf_does(
    client, case, investigator, supervisor, signing
):
    act = signed_act(case, investigator)
    elsewhere = register(actor=investigator)
    other = signed_act(elsewhere, investigator)
    result = check(client, act, pdf_read(other.pdf_sha256))
    assert "DIFFERENT ACT" in result
    assert elsewhere.registration_number in result and case.registration_number not in result


def test_an_unsigned_acts_page_does_not_confirm_another_acts_genuine_pdf(
    client, case, investigator, supervisor, signing
):
    pending = submitted_act(case, investigator)  # not yet signed
    other = signed_act(case, investigator)
    result = check(client, pending, pdf_read(other.pdf_sha256))
    assert "DIFFERENT ACT" in result and "This is the signed act" not in result


def test_an_altered_pdf_states_nothing(client, case, investigator, supervisor, signing):
    act = signed_act(case, investigator)
    pdf = pdf_read(act.pdf_sha256)
    middle = len(pdf) // 2
    result = check(client, act, pdf[:middle] + bytes([pdf[middle] ^ 1]) + pdf[middle + 1 :])
    assert "Not a validly signed act." in result and "<strong>INVALID</strong>" in result
    assert 'id="stated"' not in result and case.registration_number not in result


def test_the_page_lists_who_signed_in_which_role_in_the_interface_language(
    client, case, investigator, supervisor, prosecutor, signing
):
    act = fully_signed_act(case, investigator, supervisor, prosecutor)
    body = client.get(reverse("verify:act", args=[act.verification_token])).content.decode()
    assert "<dt>Prepared and signed</dt>" in body and "<dt>Approved</dt>" in body
    assert body.index('data-role="author">Ахметов Нұрлан') < body.index('data-role="approver">Серікова Әсем')
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    body = client.get(reverse("verify:act", args=[act.verification_token])).content.decode()
    assert "Документ подготовил и подписал" in body and "Документ утвердил" in body
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    body = client.get(reverse("verify:act", args=[act.verification_token])).content.decode()
    assert "Құжатты дайындады және қол қойды" in body and "Құжатты бекітті" in body
