"""Degraded operation (issue #20): a killed database backend does not cost the next request a 500, and a
full or read-only storage volume gives the uploader a message and the operator an alert, not a 500."""

import errno
import io
import logging
import os
import subprocess
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django.urls import reverse

from audit.choices import EventType, Outcome
from audit.models import AuditEvent
from evidence.models import EvidenceFile
from tests.api.helpers import issue
from tests.auth import verified_client
from tests.evidence.helpers import add_item, png_bytes

STORAGE_MESSAGE = (
    "The file could not be stored: the server&#x27;s storage is full or unavailable. Nothing was "
    "saved; try again later or tell your administrator."
)


# --- database connections are health-checked ---------------------------------------------------


def wsgi_get(handler: WSGIHandler, path: str, token: str) -> tuple[str, bytes]:
    """One request through Django's own WSGI handler, as gunicorn calls it: unlike the test client it
    fires request_started with close_old_connections, where the persistent connection is checked."""
    environ: dict = {
        "PATH_INFO": path,
        "REQUEST_METHOD": "GET",
        "HTTP_HOST": "testserver",
        "SERVER_NAME": "testserver",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.input": io.BytesIO(),
    }
    setup_testing_defaults(environ)
    answer: dict = {}
    response = handler(environ, lambda status, headers: answer.update(status=status))
    try:
        body = b"".join(response)
    finally:
        response.close()
    return answer["status"], body


def backend_pid() -> int:
    return connection.connection.get_backend_pid()


@pytest.mark.django_db(transaction=True)
def test_the_first_request_after_the_backend_was_killed_answers_200(investigator):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the test kills the connection's server process")
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert connection.settings_dict["CONN_MAX_AGE"] > 0  # persistent, as in production
    handler, token = WSGIHandler(), issue(investigator)
    status, body = wsgi_get(handler, "/api/v1/me/", token)
    assert status.startswith("200"), body
    killed = backend_pid()
    other = connections.create_connection("default")  # a second connection, as an operator's psql
    try:
        with other.cursor() as cursor:
            cursor.execute("select pg_terminate_backend(%s)", [killed])
            assert cursor.fetchone()[0] is True
    finally:
        other.close()
    status, body = wsgi_get(handler, "/api/v1/me/", token)
    assert status.startswith("200"), body
    assert backend_pid() != killed  # a new backend, reconnected before the request


# --- a full or read-only storage volume ----------------------------------------------------------


@pytest.fixture
def tiny_volume(tmp_path, settings):
    """A real 64 KiB tmpfs as the blob store's filesystem root (mounting needs root, which the CI has)."""
    root = tmp_path / "volume"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(root)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    (root / "tmp").mkdir()
    settings.ECASE_PRIVATE_STORAGE = root
    try:
        yield root
    finally:
        subprocess.run(["umount", str(root)], check=True)


def fill(root) -> None:
    fd = os.open(root / "ballast", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as error:
        assert error.errno == errno.ENOSPC
    finally:
        os.close(fd)


def remount_read_only(root) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True, capture_output=True)


@pytest.mark.parametrize("break_volume,errno_name", [(fill, "ENOSPC"), (remount_read_only, "EROFS")])
def test_an_upload_to_a_full_or_read_only_volume_gets_a_message_not_a_500(
    case, investigator, tiny_volume, caplog, break_volume, errno_name
):
    item = add_item(case, investigator)
    break_volume(tiny_volume)
    client = verified_client(investigator)
    upload = io.BytesIO(png_bytes(64, 64))
    upload.name = "photo.png"
    with caplog.at_level(logging.ERROR, logger="evidence.views"):
        response = client.post(reverse("evidence:upload", args=[item.pk]), {"file": upload})
    assert response.status_code == 507
    assert STORAGE_MESSAGE in response.content.decode()
    assert not EvidenceFile.objects.filter(item=item).exists()
    assert not AuditEvent.objects.filter(event=EventType.FILE_UPLOADED).exists()
    alert = AuditEvent.objects.get(event=EventType.STORAGE_UNAVAILABLE)
    assert alert.outcome == Outcome.FAILED and alert.data["errno"] == errno_name and alert.data["item"] == item.pk
    assert any("storage unavailable" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


def test_the_storage_message_is_translated():
    from django.utils import translation

    from evidence.views import storage_unavailable  # noqa: F401 — the message lives there

    english = (
        "The file could not be stored: the server's storage is full or unavailable. Nothing was saved; "
        "try again later or tell your administrator."
    )
    for language in ("kk", "ru"):
        with translation.override(language):
            assert translation.gettext(english) != english
