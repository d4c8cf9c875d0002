"""Redis away: rate limits fall back to a per-process count; pages, the API and verification keep answering (issue #20).

The cache points at a real address where nothing listens (a port the OS handed out and that was
closed again), so every cache call fails the way it does when Redis is down: connection refused.
"""

import logging
import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.models import ProceduralAct
from tests.api.helpers import Api, error_of, issue
from tests.auth import verified_client
from tests.factories import register


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "KEY_PREFIX": "down",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    with pytest.raises(RedisConnectionError):
        cache.get("anything")  # the premise: the cache really is unreachable


def test_api_answers_and_still_throttles_while_redis_is_down(redis_down, settings, investigator, caplog):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "api_token": "3/day"},
    }
    register(actor=investigator)
    api = Api(token=issue(investigator))
    with caplog.at_level(logging.ERROR, logger="ecase.ratelimit"):
        answers = [
            api.get("/api/v1/me/").status_code,
            api.get("/api/v1/cases/").status_code,
            api.get("/api/v1/me/").status_code,
        ]
    assert answers == [200, 200, 200]
    refused = api.get("/api/v1/me/")
    assert refused.status_code == 429 and error_of(refused)["code"] == "throttled"  # a local limit, not none
    assert "shared cache is unreachable" in caplog.text


def test_pages_answer_while_redis_is_down(redis_down, investigator):
    case = register(actor=investigator)
    client = verified_client(investigator)
    assert client.get(reverse("cases:list")).status_code == 200
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200


def test_the_verification_page_answers_and_limits_uploads_while_redis_is_down(
    redis_down, settings, investigator, supervisor
):
    settings.ECASE_VERIFY_UPLOADS_PER_MINUTE = 2
    case = register(actor=investigator)
    act = _act_with_token(case, investigator)
    url = reverse("verify:act", args=[act.verification_token])
    client = Client()  # anonymous, as a QR code's reader is
    assert client.get(url).status_code == 200
    statuses = [client.post(url, {"file": SimpleUploadedFile("a.pdf", b"not a pdf")}).status_code for _ in range(3)]
    assert statuses[0] in (200, 400) and statuses[1] in (200, 400) and statuses[2] == 429, statuses


def _act_with_token(case, author) -> ProceduralAct:
    from cases.models import ProceduralActType
    from cases.services.acts import act_create

    act_type = ProceduralActType.objects.create(
        code="degraded_note", name_ru="Справка", name_kk="Анықтама", kind="other"
    )
    act = act_create(case_id=case.pk, actor=author, act_type=act_type, language="ru", place="Астана")
    assert act.verification_token
    return act
