"""Evidence tests: files go to a per-test directory, never to var/private."""

import pytest

from .helpers import add_item


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.ECASE_PRIVATE_STORAGE = tmp_path
    return tmp_path


@pytest.fixture
def item(case, investigator):
    return add_item(case, investigator)
