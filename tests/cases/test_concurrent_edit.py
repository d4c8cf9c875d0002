"""Two people edit the same case: the second save is refused, shows what changed, overwrites nothing."""

from django.urls import reverse

from cases.models import Case
from cases.services.case import case_assign
from tests.auth import verified_client
from tests.factories import article


def form_data(case, plot, version):
    return {
        "version": version,
        "articles": [article("188-1").pk],
        "proceedings_form": "inquiry",
        "plot": plot,
        "reason": "Уточнение фабулы",
    }


def test_the_second_of_two_concurrent_edits_is_refused_and_shows_the_first(investigator, colleague, supervisor, case):
    case_assign(
        case_id=case.pk,
        actor=supervisor,
        lead_investigator=investigator,
        group=[colleague],
        prosecutor=case.prosecutor,
        reason="Группа",
    )
    loaded = Case.objects.get(pk=case.pk).version  # both open the edit page at this version
    first, second = verified_client(investigator), verified_client(colleague)
    assert (
        first.post(reverse("cases:edit", args=[case.pk]), form_data(case, "Версия первого.", loaded)).status_code == 302
    )
    response = second.post(reverse("cases:edit", args=[case.pk]), form_data(case, "Версия второго.", loaded))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Someone else changed this case" in page
    assert "Версия первого." in page and "Версия второго." in page  # what changed, and the user's own text kept
    assert Case.objects.get(pk=case.pk).plot == "Версия первого."
