"""Through the app on both backends: an evidence file uploaded and downloaded via the permission-checked view."""

from __future__ import annotations

import hashlib
import io

from django.urls import reverse

from ecase import blobs
from evidence.services import evidence_file_add
from tests.auth import verified_client
from tests.evidence.helpers import add_item, padded_png


def test_an_evidence_file_goes_to_the_backend_encrypted_and_comes_back_through_the_view(
    backend, case, investigator, outsider
):
    data = padded_png(3 * 1024 * 1024 + 17)
    record = evidence_file_add(
        item_id=add_item(case, investigator).pk, actor=investigator, stream=io.BytesIO(data), name="скан.png"
    )
    body = backend.read(blobs.body_name(record.sha256))
    assert data[:4096] not in body and len(body) > len(data)

    response = verified_client(investigator).get(reverse("evidence:download", args=[record.pk]))
    assert response.status_code == 200
    assert int(response["Content-Length"]) == len(data)
    streamed = b"".join(response.streaming_content)
    assert hashlib.sha256(streamed).hexdigest() == record.sha256

    refused = verified_client(outsider).get(reverse("evidence:download", args=[record.pk]))
    assert refused.status_code in (403, 404)
