"""The language switch before sign-in (a cookie until there is a profile) and the favicon (issue #16)."""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.auth import verified_client

SWITCH = f'action="{reverse("accounts:language")}"'


def test_the_login_page_offers_kk_ru_and_en_and_links_the_favicon(client):
    body = client.get(reverse("login")).content.decode()
    assert SWITCH in body
    for code in ("kk", "ru", "en"):
        assert f'name="language" value="{code}"' in body
    assert '<link rel="icon" href="/static/img/favicon.svg"' in body
    assert finders.find("img/favicon.svg")


def test_an_anonymous_choice_is_kept_in_the_cookie_and_speaks_on_the_login_page(client):
    response = client.post(reverse("accounts:language"), {"language": "kk", "next": reverse("login")})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "kk"
    body = client.get(reverse("login")).content.decode()
    assert '<html lang="kk">' in body and "Кіру" in body


def test_an_unknown_language_sets_nothing(client):
    response = client.post(reverse("accounts:language"), {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_after_sign_in_the_profile_language_wins_over_the_cookie(investigator):
    investigator.language = "ru"
    investigator.save(update_fields=["language"])
    client = verified_client(investigator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    assert '<html lang="ru">' in client.get(reverse("cases:list")).content.decode()


def test_a_signed_in_choice_is_saved_on_the_profile(investigator):
    client = verified_client(investigator)
    client.post(reverse("accounts:language"), {"language": "kk"})
    investigator.refresh_from_db()
    assert investigator.language == "kk"
