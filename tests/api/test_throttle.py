"""Throttling: per token, counted in the shared cache (Redis), so every worker process counts together."""

import os
import subprocess
import sys
import textwrap
import threading

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from accounts.models import ApiToken
from ecase import ratelimit
from tests.api.helpers import Api, error_of, issue

ME = "/api/v1/me/"
DAY = 86400
# Windows are aligned to the clock; a day-long window keeps a test's requests inside one of them.
needs_redis = pytest.mark.skipif(not django_settings.REDIS_URL, reason="the counters are shared through Redis")


def rates(settings, **changed):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **changed},
    }


def test_a_token_beyond_its_rate_gets_429_with_retry_after_in_the_error_shape(settings, investigator):
    rates(settings, api_token="3/day")
    first, second = Api(token=issue(investigator)), Api(token=issue(investigator))
    assert [first.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    response = first.get(ME)
    assert response.status_code == 429 and error_of(response)["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= DAY
    assert first.get("/api/v1/cases/").status_code == 429  # the budget is the token's, not an endpoint's
    assert second.get(ME).status_code == 200  # another token of the same user keeps its own budget


@needs_redis
def test_the_counters_live_in_redis(settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL


@needs_redis
def test_requests_counted_by_another_process_count_for_the_token(settings, investigator):
    """Another worker process (a separate interpreter, its own Redis connection) spends the token's budget."""
    rates(settings, api_token="5/day")
    api = Api(token=issue(investigator))
    assert api.get(ME).status_code == 200
    token = ApiToken.objects.get()
    other_worker = textwrap.dedent(f"""
        import django
        django.setup()
        from django.conf import settings
        from django.test.utils import override_settings
        from ecase import ratelimit
        # This test's own key prefix (tests/conftest.py), as the request below will use it.
        with override_settings(CACHES={settings.CACHES!r}):
            print([ratelimit.count("token:{token.pk}", {DAY})[0] for _ in range(4)])
    """)
    done = subprocess.run(
        [sys.executable, "-c", other_worker],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ecase.settings"},
        cwd=django_settings.BASE_DIR,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[2, 3, 4, 5]"  # it saw this process's request, and counted on from it
    response = api.get(ME)
    assert response.status_code == 429 and error_of(response)["code"] == "throttled"


def test_concurrent_requests_are_each_counted_once(settings):
    """Atomic counting: 20 requests at once get the counts 1..20, none lost to a concurrent write."""
    counts, start = [], threading.Barrier(20)

    def request():
        start.wait()
        counts.append(ratelimit.count("token:concurrency", DAY)[0])

    threads = [threading.Thread(target=request) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cache.close()  # the threads' connections
    assert sorted(counts) == list(range(1, 21))


def test_the_anonymous_rate_counts_by_address_not_by_a_forwarded_for_header(settings):
    """Without a proxy in front (ECASE_PROXY_COUNT=0) X-Forwarded-For is the client's own claim: ignored."""
    settings.ECASE_PROXY_COUNT = 0
    rates(settings, api_anon="2/day")
    api = Api()
    assert [api.get("/api/schema/", headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code for n in range(2)] == [
        200,
        200,
    ]
    response = api.get("/api/schema/", headers={"X-Forwarded-For": "10.0.0.99"})
    assert response.status_code == 429 and error_of(response)["code"] == "throttled"


def test_refused_tokens_are_throttled_per_address_and_stop_filling_the_audit_trail(settings, investigator):
    from audit.choices import EventType
    from audit.models import AuditEvent

    rates(settings, api_anon="2/day")
    forged = Api(token="ecase_0123456789_" + "A" * 43)
    assert [forged.get(ME).status_code for _ in range(2)] == [401, 401]
    response = forged.get(ME)
    assert response.status_code == 429 and error_of(response)["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= DAY
    assert AuditEvent.objects.filter(event=EventType.ACCESS_DENIED, data__reason="token_invalid").count() == 2
    assert Api(token=issue(investigator)).get(ME).status_code == 200  # a valid token from there is not affected
