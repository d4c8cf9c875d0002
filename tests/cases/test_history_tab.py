"""The case page's history tab says what changed: field, old value → new value, in labels (issue #16)."""

from django.urls import reverse
from django.utils import translation

from cases.choices import ProceedingsForm
from cases.services.case import case_update
from cases.timeline import FIELD_LABELS
from tests.auth import verified_client


def test_the_history_tab_shows_each_change_as_label_old_to_new(case, investigator):
    case_update(
        case_id=case.pk,
        actor=investigator,
        expected_version=case.version,
        reason="Уточнена форма расследования",
        proceedings_form=ProceedingsForm.INVESTIGATION,
    )
    investigator.language = "ru"
    investigator.save()
    body = verified_client(investigator).get(f"{reverse('cases:detail', args=[case.pk])}?tab=history").content.decode()
    with translation.override("ru"):
        field = "Форма досудебного расследования"
        old, new = str(ProceedingsForm.INQUIRY.label), str(ProceedingsForm.INVESTIGATION.label)
    assert f"<b>{field}</b>: {old} → {new}" in body
    assert "Уточнена форма расследования" in body
    assert "proceedings_form" not in body and "inquiry →" not in body and "proceedings form" not in body


def test_the_history_tab_is_in_the_users_language(case, investigator):
    case_update(
        case_id=case.pk,
        actor=investigator,
        expected_version=case.version,
        reason="Нысаны нақтыланды",
        proceedings_form=ProceedingsForm.INVESTIGATION,
    )
    investigator.language = "kk"
    investigator.save()
    body = verified_client(investigator).get(f"{reverse('cases:detail', args=[case.pk])}?tab=history").content.decode()
    with translation.override("kk"):
        field = str(FIELD_LABELS["proceedings_form"])
        old, new = str(ProceedingsForm.INQUIRY.label), str(ProceedingsForm.INVESTIGATION.label)
    assert f"<b>{field}</b>: {old} → {new}" in body
