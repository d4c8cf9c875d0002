"""Fixtures of the cases tests that need signing and the broker (issue #5)."""

import base64
import json
import uuid

import pytest
import redis

from tests.cases.signing_helpers import TEST_PASSPHRASE, install_authority


@pytest.fixture
def signing(settings, tmp_path, db):
    """Keys under the suite's passphrase, PDFs in this test's own storage, the CA installed."""
    settings.ECASE_SIGNING_PASSPHRASE = TEST_PASSPHRASE
    settings.ECASE_PRIVATE_STORAGE = tmp_path / "private"
    return install_authority()


@pytest.fixture
def published(settings):
    """The messages that reached the real broker, as (task, args), on a render queue of this test's own.

    No worker reads that queue, so what the code published stays there to be read back.
    """
    queue = f"test-render-{uuid.uuid4().hex[:8]}"
    settings.ECASE_RENDER_QUEUE = queue
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    def sent() -> list[tuple[str, list]]:
        messages = [json.loads(raw) for raw in reversed(client.lrange(queue, 0, -1))]  # LPUSH: newest first
        return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]

    yield sent
    client.delete(queue, f"_kombu.binding.{queue}")
