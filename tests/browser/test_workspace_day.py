"""A day's work with fewer steps, in a real browser (issue #16 must-show).

Choosing two articles by typing in the search box over the list, and the history tab saying what
changed. (Approving after the re-authentication in one confirmation is part of the supervisor's
flow in test_main_flows.py; the IIN filling birth date and sex is test_iin_fill.py.)
"""

from __future__ import annotations

import re

import pytest

from cases.models import Case
from tests.browser.helpers import sign_in
from tests.factories import article, register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VISIBLE_ARTICLES = "Array.from(document.querySelectorAll('#id_articles option')).filter(o => !o.hidden)"
VISIBLE_GROUPS = (
    "Array.from(document.querySelectorAll('#id_articles optgroup')).filter(g => !g.hidden).map(g => g.label)"
)


def test_two_articles_are_chosen_by_typing_in_the_search_box(page_for, shot, investigator, prosecutor):
    investigator.language = "kk"
    investigator.save()
    page = page_for()
    sign_in(page, investigator, enrol=True)
    page.goto("/cases/new/")
    page.wait_for_selector("#id_articles_filter")  # articles.js adds the box on DOMContentLoaded

    # The list is in the Code's order (99 before 100), each article's parts under its heading, in
    # the user's language.
    numbers = page.eval_on_selector_all("#id_articles optgroup", r"gs => gs.map(g => +g.label.match(/\d+/)[0])")
    assert numbers == sorted(numbers) and numbers[0] == 99 and 100 in numbers
    parts = page.eval_on_selector_all(
        "#id_articles optgroup[label='188-бап — Ұрлық'] option", "os => os.map(o => o.textContent)"
    )
    assert parts[:2] == ["1-бөлік", "2-бөлік"]

    page.click("#id_articles_filter")
    page.keyboard.type("188 2")  # a number and a part
    shown = page.evaluate(f"() => {VISIBLE_ARTICLES}.map(o => [o.parentNode.label, o.textContent])")
    assert shown == [["188-бап — Ұрлық", "2-бөлік"]]
    assert page.evaluate(f"() => {VISIBLE_GROUPS}") == ["188-бап — Ұрлық"]  # the other headings hidden
    page.keyboard.press("Enter")  # chooses it; the form is not sent
    page.keyboard.type("алаяқ")  # words of the title, in Kazakh
    assert page.evaluate(f"() => {VISIBLE_ARTICLES}.length") == 4  # 190 parts 1–4
    page.keyboard.press("Enter")  # the first shown: 190 part 1
    assert page.url.endswith("/cases/new/")
    chosen = page.inner_text(".article-chosen")
    assert "188-бап 2-бөлік — Ұрлық" in chosen and "190-бап 1-бөлік — Алаяқтық" in chosen
    assert page.input_value("#id_articles_filter") == "" and page.evaluate(f"() => {VISIBLE_ARTICLES}.length") > 100
    shot(page, "two-articles-chosen")

    page.select_option("#id_proceedings_form", "inquiry")
    page.fill("#id_prosecutor_q", prosecutor.last_name[:4])
    page.wait_for_selector(f"#id_prosecutor option[value='{prosecutor.pk}']", state="attached")
    page.select_option("#id_prosecutor", str(prosecutor.pk))
    page.fill("#id_plot", "Белгісіз адам телефонды ұрлап, кейін алаяқтық жасады.")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    assert set(Case.objects.get().articles.all()) == {article("188-2"), article("190-1")}


def test_the_history_tab_shows_what_changed_from_and_to(page_for, shot, investigator, prosecutor):
    investigator.language = "ru"
    investigator.save()
    case = register(actor=investigator, prosecutor=prosecutor, form="inquiry")
    page = page_for()
    sign_in(page, investigator, enrol=True)
    page.goto(f"/cases/{case.pk}/edit/")
    page.select_option("#id_proceedings_form", "investigation")
    page.fill("#id_reason", "Дело оказалось сложнее: нужно следствие")
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/cases/{case.pk}/")
    page.click("a[href='?tab=history']")  # swapped in by htmx
    page.wait_for_selector("ul.changes")
    text = page.inner_text("main")
    assert "Форма досудебного расследования: Дознание → Предварительное следствие" in text
    assert "Дело оказалось сложнее: нужно следствие" in text
    assert "inquiry" not in text and "proceedings_form" not in text
    shot(page, "history-tab")
