"""API tests: evidence files in a per-test directory, a clean throttle history per test."""
import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def api_isolation(settings, tmp_path):
    settings.ECASE_PRIVATE_STORAGE = tmp_path
    cache.clear()  # throttle histories live in the cache
    yield
    cache.clear()
