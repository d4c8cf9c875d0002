"""Fixtures of the cases tests that need signing (issue #5)."""
import pytest

from tests.cases.signing_helpers import TEST_PASSPHRASE, install_authority


@pytest.fixture
def signing(settings, tmp_path, db):
    """Keys under the suite's passphrase, PDFs in this test's own storage, the CA installed."""
    settings.ECASE_SIGNING_PASSPHRASE = TEST_PASSPHRASE
    settings.ECASE_PRIVATE_STORAGE = tmp_path / "private"
    return install_authority()
