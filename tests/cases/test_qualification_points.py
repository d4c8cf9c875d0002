"""The point (пункт) of a qualified part, the reference data's breadth and the gravity override (issue #18, item 5)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.choices import EventType
from audit.models import AuditEvent
from cases.choices import Gravity, Intent
from cases.gravity import derive_gravity
from cases.models import Case, CaseArticle, CriminalCodeArticle, CriminalCodeArticleVersion
from cases.qualification import qualification_label, reference
from tests.api.helpers import Api, issue
from tests.auth import verified_client
from tests.cases.decrees import decree_in_force, suspect_in_force
from tests.cases.signing_helpers import certify
from tests.factories import article, register


def test_the_reference_reads_in_each_language(reference_data):
    assert reference("190", 2, "4", "ru") == "п. 4 ч. 2 ст. 190"
    assert reference("190", 2, "4", "kk") == "190-бап 2-бөлік 4-тармақ"
    assert reference("188", 1, None, "ru") == "ч. 1 ст. 188"
    assert qualification_label(article("190-2"), "4", "kk") == "190-бап 2-бөлік 4-тармақ — Алаяқтық"


def test_registration_records_the_point_and_the_pages_show_it(investigator):
    case = register(actor=investigator, articles=("190-2", "188-1"), points={article("190-2").pk: "4"})
    links = {link.article.code: link.point for link in CaseArticle.objects.filter(case=case)}
    assert links == {"190-2": "4", "188-1": None}
    registered = AuditEvent.objects.get(case_id=case.pk, event=EventType.CASE_REGISTERED)
    assert registered.data["articles"] == ["188-1", "190-2 п.4"]
    client = verified_client(investigator)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "п. 4 ч. 2 ст. 190 — Мошенничество" in page and "ч. 1 ст. 188 — Кража" in page
    investigator.language = "kk"
    investigator.save(update_fields=["language"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "190-бап 2-бөлік 4-тармақ — Алаяқтық" in page


@pytest.mark.parametrize(
    "points, message",
    [({"190-2": "четыре"}, "a point is a number"), ({"188-1": "4"}, "not in the qualification")],
)
def test_a_bad_point_is_refused_and_nothing_is_registered(investigator, points, message):
    before = Case.objects.count()
    with pytest.raises(ValidationError) as refused:
        register(actor=investigator, articles=("190-2",), points={article(c).pk: p for c, p in points.items()})
    assert message in str(refused.value) and Case.objects.count() == before


def test_the_registration_page_takes_points(investigator):
    client = verified_client(investigator)
    data = {"articles": [article("190-2").pk], "proceedings_form": "inquiry", "plot": "Обманул покупателя."}
    refused = client.post(reverse("cases:register"), {**data, "points": "188-1: 4"})
    assert refused.status_code == 400 and "188-1 is not among the chosen articles" in refused.content.decode()
    assert client.post(reverse("cases:register"), {**data, "points": "190-2: 4"}).status_code == 302
    link = CaseArticle.objects.get(case=Case.objects.latest("pk"))
    assert (link.article.code, link.point) == ("190-2", "4")


def test_a_new_point_alone_is_a_requalification_by_decree_with_its_history(signing, investigator, prosecutor):
    case = register(actor=investigator, articles=("190-2",), prosecutor=prosecutor)
    for user in (investigator, prosecutor):
        certify(user)
    suspect = suspect_in_force(case, investigator)
    decree_in_force(case, investigator, "qualification", suspect=suspect.pk, articles=["190-2"], points="190-2: 3")
    event = AuditEvent.objects.filter(case_id=case.pk, event=EventType.CASE_REQUALIFIED).get()
    assert event.data["from"]["articles"] == ["190-2"] and event.data["to"]["articles"] == ["190-2 п.3"]
    row = Case.history.filter(id=case.pk).latest("history_id")
    assert list(row.articles.values_list("article_id", "point")) == [(article("190-2").pk, "3")]
    # The same point again: nothing to requalify, recorded as not applied; a point of no part: not applied.
    same = decree_in_force(
        case, investigator, "qualification", suspect=suspect.pk, articles=["190-2"], points="190-2: 3"
    )
    stray = decree_in_force(
        case, investigator, "qualification", suspect=suspect.pk, articles=["190-2"], points="188-1: 2"
    )
    assert not same.applied_effects.get().applied and not stray.applied_effects.get().applied
    assert AuditEvent.objects.filter(case_id=case.pk, event=EventType.CASE_REQUALIFIED).count() == 1
    history = verified_client(investigator).get(reverse("cases:detail", args=[case.pk]) + "?tab=history")
    assert "п. 3 190 ч.2" in history.content.decode()


def test_the_api_shows_the_point_and_refuses_to_change_it(investigator):
    case = register(actor=investigator, articles=("190-2",), points={article("190-2").pk: "4"})
    api = Api(token=issue(investigator))
    url = f"/api/v1/cases/{case.pk}/"
    read = api.get(url)
    [link] = read.json()["qualification"]
    assert link == {
        "article": article("190-2").pk,
        "code": "190-2",
        "point": "4",
        "reference_ru": "п. 4 ч. 2 ст. 190",
        "reference_kk": "190-бап 2-бөлік 4-тармақ",
    }
    # A plot edit that sends the articles back keeps the point and is no requalification.
    same = api.patch(
        url, {"articles": [article("190-2").pk], "plot": "Уточнено.", "reason": "x"}, headers={"If-Match": read["ETag"]}
    )
    assert same.status_code == 200 and same.json()["qualification"][0]["point"] == "4"
    assert not AuditEvent.objects.filter(case_id=case.pk, event=EventType.CASE_REQUALIFIED).exists()
    # A new point is a requalification: only by a qualification decree in force (issue #18).
    changed = api.patch(
        url, {"points": {str(article("190-2").pk): "2"}, "reason": "Иной признак"}, headers={"If-Match": same["ETag"]}
    )
    assert changed.status_code == 400
    assert CaseArticle.objects.get(case=case).point == "4"
    assert not AuditEvent.objects.filter(case_id=case.pk, event=EventType.CASE_REQUALIFIED).exists()


def test_the_reference_data_covers_the_most_registered_parts(reference_data):
    parts = CriminalCodeArticle.objects.prefetch_related("versions")
    assert parts.count() >= 100
    codes = {p.code for p in parts}
    wanted = {"368-1", "218-1", "255-1", "256-1", "258-1", "126-2", "126-3", "309-2", "309-3", "188-1", "190-4"}
    assert wanted <= codes
    for part in parts:
        assert part.title_ru and part.title_kk, part.code
        assert part.versions.all(), part.code


def test_a_version_may_carry_the_category_the_code_sets_against_its_sanction(admin):
    assert (
        derive_gravity(
            is_misdemeanour=False, intent=Intent.INTENTIONAL, max_imprisonment_months=84, life_imprisonment=False
        )
        == Gravity.GRAVE
    )
    assert (
        derive_gravity(
            is_misdemeanour=False,
            intent=Intent.INTENTIONAL,
            max_imprisonment_months=84,
            life_imprisonment=False,
            override=Gravity.MEDIUM,
        )
        == Gravity.MEDIUM
    )
    part = CriminalCodeArticle.objects.create(article="999", part=1, title_ru="Проверка", title_kk="Тексеру")
    with transaction.atomic(), pytest.raises(IntegrityError):  # an exception names the article that makes it
        CriminalCodeArticleVersion.objects.create(
            article=part, in_force_from="2015-01-01", max_imprisonment_months=84, gravity_override=Gravity.MEDIUM
        )
    version = CriminalCodeArticleVersion.objects.create(
        article=part,
        in_force_from="2015-01-01",
        max_imprisonment_months=84,
        gravity_override=Gravity.MEDIUM,
        override_article="УК РК ст. 11 ч. 6 (пример)",
    )
    assert version.gravity == Gravity.MEDIUM
    part.refresh_from_db()
    assert part.gravity == Gravity.MEDIUM
    page = verified_client(admin).get(reverse("reference:article", args=[part.pk])).content.decode()
    assert "set by УК РК ст. 11 ч. 6 (пример)" in page
