"""API tests: evidence files in a per-test directory, a clean throttle history per test."""
import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def api_isolation(settings, tmp_path):
    settings.ECASE_PRIVATE_STORAGE = tmp_path
    if not hasattr(settings, "ECASE_PUBLIC_URL"):  # TEMPORARY until issue #5's settings land
        settings.ECASE_PUBLIC_URL = "http://testserver"
    cache.clear()  # throttle histories live in the cache
    yield
    cache.clear()
