"""Every page's query count is constant in the number of rows it shows (1 row vs 50 rows)."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.choices import ParticipantRole
from cases.models import ProceduralActType
from cases.services.acts import act_create
from cases.services.participants import participant_add
from evidence.services import evidence_add, evidence_file_add, evidence_transfer
from tests.auth import verified_client
from tests.evidence.helpers import png_bytes
from tests.factories import person_data, register


def queries(client, url) -> int:
    client.get(url)  # warm caches that are per process, not per row (content types, permissions)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def fill_case(case, investigator, rows, tmp_path):
    act_type = ProceduralActType.objects.get_or_create(
        code="qc_note", defaults={"name_ru": "Справка", "name_kk": "Анықтама", "kind": "other"}
    )[0]
    item = None
    for n in range(rows):
        participant_add(case_id=case.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data())
        act_create(case_id=case.pk, actor=investigator, act_type=act_type, language="ru", place="Астана")
        item = evidence_add(
            case_id=case.pk,
            actor=investigator,
            kind="physical",
            description=f"Предмет {n}",
            seized_at=case.registered_at,
            seized_place="Астана",
        )
    for n in range(rows):
        evidence_file_add(
            item_id=item.pk,
            actor=investigator,
            stream=io.BytesIO(png_bytes(shade=n % 250, width=n + 1)),
            name=f"{n}.png",
        )
        evidence_transfer(
            item_id=item.pk, actor=investigator, to_holder=f"Хранитель {n}", to_location=f"Сейф {n}", reason="Передача"
        )
    return item


@pytest.fixture
def counted(settings, tmp_path, investigator, supervisor, prosecutor):
    settings.ECASE_PRIVATE_STORAGE = tmp_path

    def measure(rows):
        cases = [register(actor=investigator, prosecutor=prosecutor) for _ in range(rows)]
        item = fill_case(cases[0], investigator, rows, tmp_path)
        for case in cases:
            verified_client(investigator).get(reverse("cases:detail", args=[case.pk]))  # access-log rows
        pages = {
            f"tab-{t}": f"{reverse('cases:detail', args=[cases[0].pk])}?tab={t}"
            for t in ("summary", "participants", "acts", "evidence", "term", "history")
        }
        pages.update(
            {"home": "/", "list": reverse("cases:list"), "evidence": reverse("evidence:detail", args=[item.pk])}
        )
        result = {name: queries(verified_client(investigator), url) for name, url in pages.items()}
        result["access-log"] = queries(verified_client(supervisor), reverse("cases:access-log", args=[cases[0].pk]))
        result["access-log-all"] = queries(verified_client(supervisor), reverse("cases:access-log-all"))
        return result

    return measure


def test_page_query_counts_do_not_grow_with_rows(counted):
    one, fifty = counted(1), counted(50)
    grown = {page: (one[page], fifty[page]) for page in one if fifty[page] != one[page]}
    assert not grown, f"query count grows with rows (1 row → 50 rows): {grown}"


def _awaiting_request(case, investigator, supervisor):
    """A request signed by its author and approved: awaiting the prosecutor (no PDF is rendered: no page reads it)."""
    from cases.act_transitions import ActAction
    from cases.services.act_workflow import act_transition
    from cases.services.term import extension_request_draft

    act = extension_request_draft(
        case_id=case.pk,
        actor=investigator,
        days=30,
        reasons="Экспертиза",
        planned_actions="Допрос",
        addressee="district_prosecutor",
        language="ru",
        place="Астана",
    )
    act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator)
    return act_transition(act_id=act.pk, action=ActAction.APPROVE, actor=supervisor)


@pytest.fixture
def review_and_term_pages(investigator, supervisor, prosecutor):
    """Rows: participants the reviewed act concerns, decided requests on the term tab, cases with a pending request."""
    from cases.act_transitions import ActAction
    from cases.services.act_workflow import act_transition
    from tests.factories import author_only_requirement

    def measure(rows):
        cases = [register(actor=investigator, prosecutor=prosecutor) for _ in range(rows)]
        main = cases[0]
        named = [
            participant_add(
                case_id=main.pk, actor=investigator, role=ParticipantRole.WITNESS, person_data=person_data()
            ).pk
            for _ in range(rows)
        ]
        act_type = ProceduralActType.objects.get_or_create(
            code="qc_review_note", defaults={"name_ru": "Справка", "name_kk": "Анықтама", "kind": "other"}
        )[0]
        author_only_requirement(act_type, approval_article="test")
        act = act_create(
            case_id=main.pk,
            actor=investigator,
            act_type=act_type,
            language="ru",
            place="Астана",
            body="Текст",
            participant_ids=named,
        )
        act_transition(act_id=act.pk, action=ActAction.SIGN, actor=investigator)
        for _ in range(rows):
            decided = _awaiting_request(main, investigator, supervisor)
            act_transition(act_id=decided.pk, action=ActAction.AGREE, actor=prosecutor)
        pending = [_awaiting_request(case, investigator, supervisor) for case in cases]
        term = f"{reverse('cases:detail', args=[main.pk])}?tab=term"
        return {
            "review": queries(verified_client(supervisor), reverse("cases:act-review", args=[act.pk])),
            "review-prosecutor": queries(
                verified_client(prosecutor), reverse("cases:act-review", args=[pending[0].pk])
            ),
            "tab-term-investigator": queries(verified_client(investigator), term),
            "tab-term-supervisor": queries(verified_client(supervisor), term),
            "tab-term-prosecutor": queries(verified_client(prosecutor), term),
            "home-supervisor": queries(verified_client(supervisor), "/"),
            "home-prosecutor": queries(verified_client(prosecutor), "/"),
            "extension-request": queries(
                verified_client(investigator), reverse("cases:extension-request", args=[main.pk])
            ),
        }

    return measure


def test_review_and_term_pages_query_counts_do_not_grow_with_rows(review_and_term_pages):
    one, fifty = review_and_term_pages(1), review_and_term_pages(50)
    grown = {page: (one[page], fifty[page]) for page in one if fifty[page] != one[page]}
    assert not grown, f"query count grows with rows (1 row → 50 rows): {grown}"
