"""API tests: evidence files in a per-test directory (tests/conftest.py gives each test its own cache keys)."""

import pytest


@pytest.fixture(autouse=True)
def api_isolation(settings, tmp_path):
    settings.ECASE_PRIVATE_STORAGE = tmp_path
