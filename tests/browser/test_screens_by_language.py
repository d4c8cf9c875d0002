"""Each role's main screens in Kazakh and Russian: screenshots, and no Russian reference name on a kk page.

Kazakh is a first language (issue #16, item 4): the articles, act types and their fields, units,
terms, roles, statuses and forms a page shows come from their Kazakh names. Every screen is
opened in kk and in ru by the same signed-in person (the profile's language decides, page by
page); the screenshots go to test-artifacts/screens/<role>/ (kept by CI).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from cases.act_transitions import ActAction
from cases.choices import ParticipantRole
from cases.models import ProceduralActType
from cases.services.act_workflow import act_transition
from cases.services.acts import act_create
from cases.services.participants import participant_add
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import sign_in
from tests.evidence.helpers import add_item
from tests.factories import make_iin, person_data, register
from tests.reference_names import russian_names_in, russian_reference_names

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(investigator, supervisor, prosecutor):
    """A case with people, acts in both languages (one awaiting approval) and an evidence item."""
    case = register(
        actor=investigator,
        prosecutor=prosecutor,
        articles=("188-2", "190-1"),
        plot="Белгісіз адам пәтерден ноутбукты жасырын ұрлап кетті.",
    )
    victim = participant_add(
        case_id=case.pk,
        actor=investigator,
        role=ParticipantRole.VICTIM,
        person_data=person_data(
            born=date(1990, 6, 15),
            sex="F",
            iin=make_iin(date(1990, 6, 15), "F"),
            last_name="Жақсыбекова",
            first_name="Әлия",
            middle_name="Серікқызы",
        ),
    )
    participant_add(
        case_id=case.pk,
        actor=investigator,
        role=ParticipantRole.WITNESS,
        person_data=person_data(last_name="Омаров", first_name="Ғалым", middle_name="Нұрланұлы"),
    )
    recognition = ProceduralActType.objects.get(code="victim_recognition")
    submitted = act_create(
        case_id=case.pk,
        actor=investigator,
        act_type=recognition,
        language="kk",
        place="Астана қ.",
        fields={
            "participant": victim.pk,
            "articles": "188-2",
            "harm_type": "property",
            "harm_description": "Ноутбук ұрланды.",
            "damage_amount": 350000,
        },
        participant_ids=[victim.pk],
        body="Жәбірленуші өтініш берді.",
    )
    act_transition(act_id=submitted.pk, action=ActAction.SIGN, actor=investigator)
    draft = act_create(
        case_id=case.pk,
        actor=investigator,
        act_type=ProceduralActType.objects.get(code="interrogation_witness"),
        language="ru",
        place="г. Астана",
        body="",
    )
    item = add_item(case, investigator, description="Ноутбук Lenovo, сериялық нөмірі PF-12345")
    return {"case": case, "submitted": submitted, "draft": draft, "item": item, "recognition": recognition}


def screens(role: str, world) -> dict[str, str]:
    case, submitted, draft = world["case"], world["submitted"], world["draft"]
    detail = reverse("cases:detail", args=[case.pk])
    common = {"dashboard": "/", "case-list": reverse("cases:list"), "case": detail}
    if role == "investigator":
        return common | {
            **{f"case-{tab}": f"{detail}?tab={tab}" for tab in ("participants", "acts", "evidence", "term", "history")},
            "act": reverse("cases:act", args=[submitted.pk]),
            "act-form": f"{reverse('cases:act-create', args=[case.pk])}?act_type={world['recognition'].pk}",
            "act-edit": reverse("cases:act-edit", args=[draft.pk]),
            "evidence": reverse("evidence:detail", args=[world["item"].pk]),
            "register": reverse("cases:register"),
            "participant-form": reverse("cases:participant-add", args=[case.pk]),
        }
    if role == "supervisor":
        return common | {
            "review": reverse("cases:act-review", args=[submitted.pk]),
            "case-history": f"{detail}?tab=history",
        }
    return common | {"act": reverse("cases:act", args=[submitted.pk])}


def test_each_roles_main_screens_in_kazakh_show_no_russian_reference_name(request, page_for, world):
    """One world for the three roles (a transactional test's set-up costs more than its pages)."""
    names = russian_reference_names()
    found, seen_in_russian = {}, set()
    for role in ("investigator", "supervisor", "prosecutor"):
        user = request.getfixturevalue(role)
        page = page_for()
        sign_in(page, user, enrol=True)
        folder = ARTIFACTS / "screens" / role
        folder.mkdir(parents=True, exist_ok=True)
        for language in ("kk", "ru"):
            user.language = language
            user.save(update_fields=["language"])
            for number, (name, url) in enumerate(screens(role, world).items(), start=1):
                response = page.goto(url)
                assert response.status == 200, f"{role} {name} {url}: {response.status}"
                assert page.get_attribute("html", "lang") == language
                page.screenshot(path=str(folder / f"{language}-{number:02d}-{name}.png"), full_page=True)
                shown = russian_names_in(page.inner_text("body"), names)
                if language == "kk" and shown:
                    found[f"{role} {name}"] = shown
                if language == "ru":
                    seen_in_russian.update(shown)
    assert not found, f"Russian reference names on Kazakh pages: {found}"
    # The same check does see them where they belong: the Russian pages show the case's articles,
    # its unit and the act's type by their Russian names.
    for expected in ("'Кража'", "'Мошенничество'", "'ДП г. Астана'", "'Постановление о признании потерпевшим'"):
        assert any(shown.startswith(expected) for shown in seen_in_russian), (expected, sorted(seen_in_russian))
