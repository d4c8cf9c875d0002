"""Search widgets instead of country-wide selects, and the count-free case list (issue #4)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role
from cases.models import Case
from cases.views.common import PAGE_SIZE
from tests.auth import verified_client
from tests.factories import article, make_user, register


def registration(prosecutor_id):
    return {
        "articles": [article("188-1").pk],
        "proceedings_form": "inquiry",
        "plot": "Тайно похитил телефон.",
        "prosecutor": prosecutor_id,
    }


def test_registration_lists_no_prosecutor_of_the_country_but_accepts_any_active_one(investigator, astana, taraz):
    far = make_user("far.prosecutor", Role.PROSECUTOR, taraz, last_name="Жанұзақов")
    client = verified_client(investigator)
    page = client.get(reverse("cases:register")).content.decode()
    assert "Жанұзақов" not in page and 'name="prosecutor_q"' in page
    response = client.post(reverse("cases:register"), registration(far.pk))
    assert response.status_code == 302
    assert Case.objects.get(pk=response.url.rstrip("/").split("/")[-1]).prosecutor == far


def test_a_prosecutor_outside_the_allowed_set_is_refused_with_a_field_error(investigator, colleague, taraz):
    retired = make_user("retired.prosecutor", Role.PROSECUTOR, taraz)
    retired.is_active = False
    retired.save()
    client = verified_client(investigator)
    for wrong in (colleague, retired):  # an investigator, an inactive prosecutor
        response = client.post(reverse("cases:register"), registration(wrong.pk))
        assert response.status_code == 400
        assert "prosecutor" in response.context["form"].errors
    assert not Case.objects.exists()


def test_prosecutor_search_finds_by_surname_and_keeps_the_chosen_one(investigator, prosecutor, taraz):
    other = make_user("other.prosecutor", Role.PROSECUTOR, taraz, last_name="Оспанова")
    make_user("not.a.prosecutor", Role.INVESTIGATOR, taraz, last_name="Оспанұлы")
    url = reverse("cases:prosecutor-options")
    html = (
        verified_client(investigator)
        .get(url, {"field": "prosecutor", "prosecutor_q": "осп", "prosecutor": other.pk})
        .content.decode()
    )
    assert f'value="{prosecutor.pk}"' in html and f'<option value="{other.pk}" selected>' in html
    assert "Оспанұлы" not in html


def test_investigator_filter_searches_below_the_supervisors_unit_only(supervisor, investigator, outsider):
    client = verified_client(supervisor)
    url = reverse("cases:investigator-options")
    assert (
        f'value="{investigator.pk}"'
        in client.get(url, {"field": "investigator", "investigator_q": "Ахм"}).content.decode()
    )
    assert (
        f'value="{outsider.pk}"'
        not in client.get(url, {"field": "investigator", "investigator_q": "Қас"}).content.decode()
    )
    # Without JavaScript the submitted search text fills the select.
    page = client.get(reverse("cases:list"), {"investigator_q": "Ахм"}).content.decode()
    assert f'<option value="{investigator.pk}">' in page
    assert verified_client(investigator).get(url).status_code == 403


def test_case_list_pages_without_counting(investigator):
    for n in range(PAGE_SIZE + 1):
        register(actor=investigator, days_ago=1 + n % 20)
    client = verified_client(investigator)
    client.get(reverse("cases:list"))
    with CaptureQueriesContext(connection) as captured:
        first = client.get(reverse("cases:list"), {"status": "registered"})
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
    assert len(first.context["page"].object_list) == PAGE_SIZE and first.context["page"].has_next
    assert "status=registered&amp;page=2" in first.content.decode()
    second = client.get(reverse("cases:list"), {"status": "registered", "page": 2})
    assert len(second.context["page"].object_list) == 1 and not second.context["page"].has_next
    assert "page=1" in second.content.decode()
