"""An act's structured fields are shown as a reader says them, not as stored codes (issue #16)."""

from django.urls import reverse
from django.utils import translation

from cases.act_fields import display_values
from cases.models import CriminalCodeArticle, ProceduralActType
from tests.auth import verified_client
from tests.cases.signing_helpers import author_signed_act
from tests.evidence.helpers import add_item


def shown(act) -> dict:
    return dict(display_values(act.act_type, act.case, act.fields))


def test_the_act_page_shows_names_labels_and_local_dates(case, investigator):
    act = author_signed_act(case, investigator, code="victim_recognition")
    act.fields["announced_at"] = "2026-12-01T05:00:00+00:00"  # stored in UTC: shown in Asia/Almaty
    act.save(update_fields=["fields"])
    article = CriminalCodeArticle.objects.get(article="188", part="1")
    body = verified_client(investigator).get(reverse("cases:act", args=[act.pk])).content.decode()
    assert "Сәрсенбаев Әділ" in body and "— Victim" in body
    assert f"art. 188 part 1 — {article.title_ru}" in body
    assert "Моральный" in body and ">moral<" not in body
    assert "01.12.2026 10:00" in body and "2026-12-01T05:00" not in body
    assert f">{act.fields['participant']}<" not in body and ">188-1<" not in body


def test_in_kazakh_the_article_and_choice_are_kazakh(case, investigator):
    act = author_signed_act(case, investigator, code="victim_recognition")
    article = CriminalCodeArticle.objects.get(article="188", part="1")
    with translation.override("kk"):
        values = shown(act)
        role = act.case.participants.get(pk=act.fields["participant"]).get_role_display()
    assert f"188-бап 1-бөлік — {article.title_kk}" in values.values()
    assert "Моральдық" in values.values()
    assert any(v.startswith("Сәрсенбаев Әділ") and v.endswith(f" — {role}") for v in values.values())


def test_dates_evidence_and_lists_read_right(case, investigator):
    item = add_item(case, investigator, description="Ұялы телефон Samsung")
    act_type = ProceduralActType.objects.get(code="civil_plaintiff_recognition")
    values = dict(display_values(act_type, case, {"claim_filed_on": "2026-12-07", "claim_amount": 150000}))
    assert "07.12.2026" in values.values() and "150000" in values.values()
    assert "" in values.values()  # an empty field stays empty: the page shows "—"
    scene = ProceduralActType.objects.get(code="scene_inspection")
    values = dict(display_values(scene, case, {"seized_items": item.pk, "started_at": "2026-12-07T10:00:00+05:00"}))
    assert f"№{item.number} — Ұялы телефон Samsung" in values.values()
    assert "07.12.2026 10:00" in values.values()


def test_the_review_page_shows_the_same_words(case, investigator, supervisor):
    act = author_signed_act(case, investigator, code="victim_recognition")
    body = verified_client(supervisor).get(reverse("cases:act-review", args=[act.pk])).content.decode()
    assert "Моральный" in body and "art. 188 part 1 — " in body
