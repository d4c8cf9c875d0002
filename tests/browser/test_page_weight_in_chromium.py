"""Every main page's weight as Chromium receives it, fonts included (issue #16 must-show).

The server here serves static files as production does (collected under hashed names,
pre-compressed, cacheable for ever: bench/pages.py ``collect_static_as_in_production``), and
the bytes are what the browser received over the network, headers included (DevTools protocol).
First visit (empty cache) ≤ 150 KB, later navigation ≤ 30 KB. The pages are filled as in daily
use: a full page of the case list, a case with five participants, acts and evidence items, an
item with five files and five transfers, the drafting form of the act type with the most fields.

With ECASE_WEIGHT_REPORT=<file> the table is also written there (bench/browser_pages.py puts
it into bench/RESULTS.md).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.test.testcases import LiveServerThread
from django.urls import reverse

from bench.pages import browser_weights_table, chromium_weight, collect_static_as_in_production
from cases.act_transitions import ActAction
from cases.choices import ParticipantRole
from cases.models import ProceduralActType
from cases.services.act_workflow import act_transition
from cases.services.acts import act_create
from cases.services.participants import participant_add
from cases.views.common import PAGE_SIZE
from evidence.services import evidence_file_add, evidence_transfer
from tests.auth import verified_client
from tests.evidence.helpers import add_item, png_bytes
from tests.factories import author_only_requirement, person_data, register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = 5


class _Unwrapped:
    """No static handler in front of the app: whitenoise serves /static/ as in production."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        return self.application(environ, start_response)


@pytest.fixture
def filled(tmp_path, settings, investigator, supervisor, prosecutor, admin):
    settings.ECASE_PRIVATE_STORAGE = tmp_path / "private"
    cases = [register(actor=investigator, prosecutor=prosecutor, days_ago=1 + n % 20) for n in range(PAGE_SIZE + 1)]
    case = cases[0]
    types = list(ProceduralActType.draftable())
    widest = max(types, key=lambda t: len(t.fields))
    item = None
    for n in range(ROWS):
        participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data())
        act_create(case_id=case.pk, actor=investigator, act_type=types[n], language="ru", place="Астана")
        item = add_item(case, investigator, description=f"Предмет {n}: мобильный телефон, IMEI 35678910451234{n}")
    for n in range(ROWS):
        evidence_file_add(
            item_id=item.pk, actor=investigator, stream=io.BytesIO(png_bytes(shade=n, width=n + 1)), name=f"{n}.png"
        )
        evidence_transfer(
            item_id=item.pk, actor=investigator, to_holder=f"Хранитель {n}", to_location=f"Сейф {n}", reason="Передача"
        )
    note = ProceduralActType.objects.create(code="weight_note", name_ru="Справка", name_kk="Анықтама", kind="other")
    act = act_create(case_id=case.pk, actor=investigator, act_type=note, language="ru", place="Астана", body="Текст.")
    author_only_requirement(note, approval_article="test")  # the head of unit approves this one
    submitted = act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator)
    detail = reverse("cases:detail", args=[case.pk])
    return {
        investigator: {
            "dashboard": "/",
            "case list": reverse("cases:list"),
            "case page": detail,
            **{
                f"case page, {tab}": f"{detail}?tab={tab}"
                for tab in ("participants", "acts", "evidence", "term", "history")
            },
            "case history": reverse("cases:history", args=[case.pk]),
            "act page": reverse("cases:act", args=[submitted.pk]),
            "act drafting": f"{reverse('cases:act-create', args=[case.pk])}?act_type={widest.pk}",
            "evidence page": reverse("evidence:detail", args=[item.pk]),
            "registration": reverse("cases:register"),
            "new participant": reverse("cases:participant-add", args=[case.pk]),
        },
        supervisor: {
            "dashboard": "/",
            "case list": reverse("cases:list"),
            "act review": reverse("cases:act-review", args=[submitted.pk]),
            "statistics": reverse("cases:statistics"),
        },
        prosecutor: {"case list": reverse("cases:list"), "case page": detail},
        # The administration workspace (issue #16 item 7): a list, a user's card, the law's versions.
        admin: {
            "workspace": reverse("manage:home"),
            "users": reverse("manage:users"),
            "user": reverse("manage:user", args=[investigator.pk]),
            "units": reverse("manage:units"),
            "articles": reverse("reference:articles"),
            "act type": reverse("reference:act-type", args=[widest.pk]),
        },
        None: {"sign-in": reverse("login")},
    }


def session_cookie(user, host: str) -> list[dict]:
    if user is None:
        return []
    value = verified_client(user).cookies[settings.SESSION_COOKIE_NAME].value
    return [{"name": settings.SESSION_COOKIE_NAME, "value": value, "url": host}]


def test_every_main_page_weighs_at_most_150_kb_first_and_30_kb_later_in_chromium(browser, filled, tmp_path):
    weights = []
    with override_settings(**collect_static_as_in_production(tmp_path / "static")):
        call_command("collectstatic", interactive=False, verbosity=0)
        server = LiveServerThread("127.0.0.1", static_handler=_Unwrapped)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        assert server.error is None, server.error
        try:
            base = f"http://127.0.0.1:{server.port}"
            for user, pages in filled.items():
                who = user.role if user is not None else "anonymous"
                cookies = session_cookie(user, base)
                for name, url in pages.items():
                    weights.append(chromium_weight(browser, base, f"{name} ({who})", url, cookies))
        finally:
            server.terminate()
    table = browser_weights_table(weights)
    report = os.environ.get("ECASE_WEIGHT_REPORT")
    if report:
        Path(report).write_text(table + "\n", encoding="utf-8")
    print(table)
    # The fonts really are counted: a first visit fetches both faces, a later one neither.
    assert all(w.first_by_type.get("Font", 0) > 30_000 for w in weights), table
    assert all(w.later_by_type.get("Font", 0) == 0 for w in weights), table
    problems = [p for w in weights for p in w.over_target()]
    assert not problems, "\n".join(problems) + "\n" + table
