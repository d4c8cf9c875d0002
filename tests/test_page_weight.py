"""Page weight of the five main pages stays within issue #4's budget.

First load (HTML + every stylesheet, script and font the page references) at most
150 KB; subsequent navigation (HTML only, static files cached) at most 30 KB; uncompressed, the
stricter reading (bench/pages.py says how a page is weighed; bench/RESULTS.md has the figures
at 1,000,000 cases). The pages are filled the way they are at their heaviest in daily use: a
full page of the case list, a case with participants, acts and evidence, an evidence item with
files and a custody chain, every act type's drafting form.
"""

import io

import pytest
from django.urls import reverse

from accounts.choices import Role
from bench.pages import page_weight, referenced_assets
from cases.choices import ParticipantRole
from cases.models import ProceduralActType
from cases.services.acts import act_create
from cases.services.participants import participant_add
from cases.views.common import PAGE_SIZE
from evidence.services import evidence_file_add, evidence_transfer
from tests.auth import verified_client
from tests.evidence.helpers import add_item, png_bytes
from tests.factories import make_user, person_data, register

ROWS = 5  # participants, acts, evidence items, files and transfers in the weighed case


@pytest.fixture
def pages(settings, tmp_path, investigator, prosecutor):
    """Each main page's URL, with the data that fills it."""
    settings.ECASE_PRIVATE_STORAGE = tmp_path
    cases = [register(actor=investigator, prosecutor=prosecutor, days_ago=1 + n % 20) for n in range(PAGE_SIZE + 1)]
    case = cases[0]
    act_type = ProceduralActType.draftable().order_by("code").first()
    item = None
    for n in range(ROWS):
        participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data())
        act_create(case_id=case.pk, actor=investigator, act_type=act_type, language="ru", place="Астана")
        item = add_item(case, investigator, description=f"Предмет {n}: мобильный телефон, IMEI 35678910451234{n}")
    for n in range(ROWS):
        evidence_file_add(
            item_id=item.pk,
            actor=investigator,
            stream=io.BytesIO(png_bytes(shade=n, width=n + 1)),
            name=f"photo-{n}.png",
        )
        evidence_transfer(
            item_id=item.pk,
            actor=investigator,
            to_holder=f"Хранитель {n}",
            to_location=f"Камера хранения, сейф {n}",
            reason="Передача на хранение",
        )
    drafting = [f"{reverse('cases:act-create', args=[case.pk])}?act_type={t.pk}" for t in ProceduralActType.draftable()]
    return {
        "dashboard": ["/"],
        "case list": [reverse("cases:list")],
        "case page": [reverse("cases:detail", args=[case.pk])],
        "act drafting": drafting,
        "evidence page": [reverse("evidence:detail", args=[item.pk])],
        "registration": [reverse("cases:register")],
    }


def weigh(user, pages) -> list:
    client = verified_client(user)
    # Supervisors do not draft acts: the drafting form is the investigator's page.
    return [
        page_weight(f"{name} {url} ({user.username})", client.get(url))
        for name, urls in pages.items()
        for url in urls
        if user.role == Role.INVESTIGATOR or name != "act drafting"
    ]


def test_main_pages_stay_within_the_byte_budget(pages, investigator, supervisor):
    weights = weigh(investigator, pages) + weigh(supervisor, pages)
    problems = [problem for weight in weights for problem in weight.over_target()]
    assert not problems, "pages over the budget of issue #4:\n" + "\n".join(problems)
    # The figures are only meaningful if the pages were really full and their assets were found.
    case_list = next(w for w in weights if w.name.startswith("case list"))
    assert case_list.html_raw > 5_000 and any(a.url.endswith(".css") for a in case_list.assets)
    case_page = next(w for w in weights if w.name.startswith("case page"))
    assert any(a.url.endswith(".js") for a in case_page.assets)
    assert sum(a.url.endswith(".woff2") for a in case_page.assets) == 2  # the fonts are weighed too


def test_pages_do_not_grow_with_the_number_of_users(pages, investigator, supervisor, astana_district):
    """A page shows a page of rows, never every user below a unit or in the country. The test data
    is small, so the budget above cannot see a list of all users: at 1,000,000 cases (bench/RESULTS.md)
    such a list made a supervisor's case list 1.4 MB. Here the world gains 100 investigators and
    100 prosecutors, and no page may grow by more than a few hundred bytes."""
    before = {w.name: w.html_raw for w in weigh(investigator, pages) + weigh(supervisor, pages)}
    for n in range(100):
        make_user(f"more.investigator.{n}", Role.INVESTIGATOR, astana_district)
        make_user(f"more.prosecutor.{n}", Role.PROSECUTOR, astana_district)
    after = {w.name: w.html_raw for w in weigh(investigator, pages) + weigh(supervisor, pages)}
    grown = {name: f"{before[name]:,} B → {after[name]:,} B" for name in before if after[name] - before[name] > 500}
    assert not grown, f"pages grow with the number of users: {grown}"


def test_a_page_references_its_stylesheets_and_scripts():
    html = (
        '<link rel="stylesheet" href="/static/css/ecase.css"><link rel="icon" href="/favicon.ico">'
        '<script src="/static/js/htmx.min.js" defer></script><script>inline()</script>'
    )
    assert referenced_assets(html) == ["/static/css/ecase.css", "/static/js/htmx.min.js"]


def test_the_administration_workspace_stays_within_the_byte_budget(admin, astana, taraz):
    """Every page of the workspace, filled: a full page of users and of units (a tree of regions and
    districts), every article part of the Code, the act type with the most fields. The unit is typed
    by its code, so no form carries the whole tree."""
    from accounts.choices import UnitKind
    from accounts.workspace.views import PAGE_SIZE as USERS_PAGE
    from cases.models import CriminalCodeArticle
    from tests.factories import UnitFactory

    regions = [
        UnitFactory(
            code=f"R{n}",
            name_ru=f"Департамент полиции области номер {n}",
            name_kk=f"{n}-облыстың полиция департаменті",
            kind=UnitKind.REGION,
            city="Астана",
        )
        for n in range(20)
    ]
    for n in range(USERS_PAGE * 2):
        UnitFactory(
            code=f"D{n}",
            parent=regions[n % 20],
            name_ru=f"Управление полиции Есильского района номер {n}",
            name_kk=f"Есіл ауданының {n}-полиция басқармасы",
            kind=UnitKind.DISTRICT,
            city="Астана",
        )
    for n in range(USERS_PAGE + 1):
        make_user(
            f"officer.{n:03}",
            Role.INVESTIGATOR,
            astana,
            last_name="Жұмабеков-Сейітқалиев",
            first_name="Ерболат",
            middle_name="Нұрланұлы",
        )
    client = verified_client(admin)
    widest = max(ProceduralActType.draftable(), key=lambda t: len(t.fields))
    user = admin.__class__.objects.get(username="officer.000")
    pages = {
        "workspace": reverse("manage:home"),
        "users": reverse("manage:users"),
        "user": reverse("manage:user", args=[user.pk]),
        "new user": reverse("manage:user-new"),
        "password": reverse("manage:user-password", args=[user.pk]),
        "units": reverse("manage:units"),
        "unit": reverse("manage:unit", args=[astana.pk]),
        "new unit": reverse("manage:unit-new"),
        "articles": reverse("reference:articles"),
        "article": reverse("reference:article", args=[CriminalCodeArticle.objects.first().pk]),
        "act types": reverse("reference:act-types"),
        "act type": reverse("reference:act-type", args=[widest.pk]),
    }
    weights = [page_weight(f"{name} {url}", client.get(url)) for name, url in pages.items()]
    print("\n".join(f"{w.name}: HTML {w.html_raw:,} B, first visit {w.first_raw:,} B" for w in weights))
    problems = [problem for weight in weights for problem in weight.over_target()]
    assert not problems, "workspace pages over the budget:\n" + "\n".join(problems)
    users = next(w for w in weights if w.name.startswith("users"))
    assert users.html_raw > 10_000  # a full page of rows was weighed
