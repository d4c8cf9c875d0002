"""Forms of pre-trial proceedings by gravity (issue #18, item 2): the table and where it is enforced."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from cases.choices import Gravity, ProceedingsForm
from cases.models import Case, RegistrationSequence
from cases.proceedings_forms import allowed_forms, check_form, form_rules
from cases.services.case import case_update
from tests.auth import verified_client
from tests.cases.decrees import decree_in_force, suspect_in_force
from tests.cases.signing_helpers import certify
from tests.factories import article, register

GRAVE = "190-4"  # fraud, part 4: up to ten years, a grave crime
MISDEMEANOUR = "293-1"  # hooliganism, part 1: a criminal misdemeanour


def test_every_form_has_a_rule_that_cites_its_article():
    rules = form_rules()
    assert set(rules) == set(ProceedingsForm.values)
    for form, row in rules.items():
        assert row["article"].startswith("УПК РК ст."), form
        assert row["gravities"] and set(row["gravities"]) <= set(Gravity.values), form
        assert isinstance(row["needs_verification"], bool) and row["note"] and "sources" in row, form
        # Claimed as read only with the page it was read on.
        assert row["needs_verification"] or row["sources"], form


def test_the_protocol_form_is_for_misdemeanours_only_and_a_grave_crime_needs_the_investigation(reference_data):
    assert allowed_forms(Gravity.MISDEMEANOUR)[0] == ProceedingsForm.PROTOCOL
    for gravity in (Gravity.SMALL, Gravity.MEDIUM, Gravity.GRAVE, Gravity.ESPECIALLY_GRAVE):
        assert ProceedingsForm.PROTOCOL not in allowed_forms(gravity)
    assert allowed_forms(Gravity.GRAVE) == allowed_forms(Gravity.ESPECIALLY_GRAVE) == [ProceedingsForm.INVESTIGATION]
    with pytest.raises(ValidationError) as refused:
        check_form(form=ProceedingsForm.PROTOCOL, gravity=Gravity.GRAVE)
    assert "ст. 61" in str(refused.value) and "Preliminary investigation" in str(refused.value)


def written():
    return (Case.objects.count(), AuditEvent.objects.count(), list(RegistrationSequence.objects.values("last")))


def test_registration_refuses_the_protocol_form_for_a_grave_article(investigator, supervisor):
    before = written()
    with pytest.raises(ValidationError) as refused:
        register(actor=investigator, articles=(GRAVE,), form="protocol", supervisor=supervisor)
    assert "proceedings_form" in refused.value.message_dict
    assert written() == before
    assert register(actor=investigator, articles=(MISDEMEANOUR,), form="protocol").gravity == Gravity.MISDEMEANOUR
    grave = register(actor=investigator, articles=(GRAVE,), form="investigation", supervisor=supervisor)
    assert grave.gravity == Gravity.GRAVE


def test_the_registration_page_shows_the_refusal_and_registers_nothing(investigator, supervisor):
    client = verified_client(investigator)
    before = written()
    response = client.post(
        reverse("cases:register"),
        {
            "articles": [article(GRAVE).pk],
            "proceedings_form": "protocol",
            "plot": "Похитил деньги путём обмана в особо крупном размере.",
            "supervisor": supervisor.pk,
        },
    )
    assert response.status_code == 400
    assert "ст. 61" in response.content.decode()  # the article that allows the protocol form, on the form
    assert written() == before


def snapshot(case):
    case = Case.objects.get(pk=case.pk)
    return case.version, case.gravity, sorted(case.articles.values_list("pk", flat=True))


def test_requalification_to_a_grave_article_is_not_applied_while_the_case_runs_in_the_protocol_form(
    signing, investigator, supervisor, prosecutor
):
    case = register(
        actor=investigator, articles=(MISDEMEANOUR,), form="protocol", supervisor=supervisor, prosecutor=prosecutor
    )
    for user in (investigator, prosecutor):
        certify(user)
    suspect = suspect_in_force(case, investigator)
    before = snapshot(case)
    decree = decree_in_force(case, investigator, "qualification", suspect=suspect.pk, articles=[GRAVE])
    # The decree is in force, its effect refused by the form's rule and recorded with it; the case is as it was.
    effect = decree.applied_effects.get()
    assert not effect.applied and "ст. 61" in effect.outcome
    assert snapshot(case) == before
    # With the form changed first (an edit the rule allows), a qualification decree goes through.
    case = case_update(
        case_id=case.pk,
        actor=investigator,
        expected_version=Case.objects.get(pk=case.pk).version,
        reason="Признаки тяжкого",
        proceedings_form="investigation",
    )
    decree_in_force(case, investigator, "qualification", suspect=suspect.pk, articles=[GRAVE])
    assert Case.objects.get(pk=case.pk).gravity == Gravity.GRAVE


def test_an_edit_cannot_move_a_crime_into_the_protocol_form(investigator):
    case = register(actor=investigator, articles=("188-1",), form="inquiry")
    before = snapshot(case)
    with pytest.raises(ValidationError) as refused:
        case_update(
            case_id=case.pk, actor=investigator, expected_version=case.version, reason="x", proceedings_form="protocol"
        )
    assert "proceedings_form" in refused.value.message_dict
    assert snapshot(case) == before
