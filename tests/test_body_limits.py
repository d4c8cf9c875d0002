"""Bodies over their route's limit are refused before they are read (issue #13 item 8).

Against a real gunicorn (a socket the OS gave a port, handed to gunicorn as ``fd://``): headers
that claim 300 MB and no body at all must be answered 413 at once — a server that waited for
the body, or read it to find the login redirect, would sit there until its timeout. Then the
same rules in-process: an anonymous caller is held to a login form's size everywhere but the
verification page, and a chunked body is read only up to its cap.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.test.client import ClientHandler, RequestFactory

from accounts.choices import Role
from tests.api.helpers import issue
from tests.auth import verified_client
from tests.cases.workers import ROOT, wait_for
from tests.cases.workers import test_database_url as database_url
from tests.factories import make_user

CLAIMED = 314_572_800  # 300 MB, more than any route accepts
UPLOAD = "/evidence/1/files/new/"
VERIFY = "/verify/any-token-at-all/"


class Gunicorn:
    """One sync worker on a listening socket this process opened on port 0 (never a fixed port)."""

    def __init__(self, tmp_path):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        fd = self.listener.fileno()
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "ECASE_ALLOWED_HOSTS": "127.0.0.1",
            "ECASE_PRIVATE_STORAGE": str(tmp_path / "private"),
            "ECASE_VAR_DIR": str(tmp_path / "var"),
            # the same key as this process, or the session cookie made here would not open there
            "ECASE_SECRET_KEY": settings.SECRET_KEY,
        }
        if getattr(settings, "REDIS_URL", ""):
            env["REDIS_URL"] = settings.REDIS_URL
        self.log = open(tmp_path / "gunicorn.log", "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "ecase.wsgi:application",
                "--bind",
                f"fd://{fd}",
                "--workers",
                "1",
                "--timeout",
                "30",
                "--graceful-timeout",
                "2",
            ],
            cwd=ROOT,
            env=env,
            pass_fds=(fd,),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.log_path = tmp_path / "gunicorn.log"
        wait_for(self.ready, timeout=60, what="gunicorn to answer /healthz")

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log_path.read_text(errors='replace')[-3000:]}")
        try:
            return self.exchange(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", timeout=2)[0] == 200
        except OSError:
            return False

    def exchange(self, head: bytes, *, timeout: float = 5) -> tuple[int | None, float]:
        """Send ``head`` (headers, no body), read the status line; (status or None on timeout, seconds)."""
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as conn:
            conn.sendall(head)
            received = b""
            try:
                while b"\r\n" not in received:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    received += chunk
            except TimeoutError:
                return None, time.monotonic() - started
        elapsed = time.monotonic() - started
        return (int(received.split(b" ", 2)[1]) if received.startswith(b"HTTP/") else None), elapsed

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=15)
        self.log.close()
        self.listener.close()


@pytest.fixture
def server(transactional_db, tmp_path):
    running = Gunicorn(tmp_path)
    yield running
    running.stop()


def post_head(path: str, length: int, cookie: str = "") -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Length: {length}",
        "Content-Type: multipart/form-data; boundary=----ecase",
    ]
    if cookie:
        # With a CSRF cookie, so that CSRF goes on to read the form's token from the body.
        lines.append(f"Cookie: {settings.SESSION_COOKIE_NAME}={cookie}; {settings.CSRF_COOKIE_NAME}={'c' * 32}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def session_cookie(user) -> str:
    """The cookie of a fully signed-in session (password and second factor) of ``user``."""
    return verified_client(user).cookies[settings.SESSION_COOKIE_NAME].value


def test_a_claimed_300_mb_body_is_refused_at_once_by_the_real_server(server, astana):
    cookie = session_cookie(make_user("uploader", Role.INVESTIGATOR, astana))
    results = {}
    for path in (UPLOAD, VERIFY):
        for who, value in (("anonymous", ""), ("signed in", cookie)):
            results[(path, who)] = server.exchange(post_head(path, CLAIMED, value), timeout=5)
    slow = {key: result for key, result in results.items() if result[0] != 413 or result[1] >= 1.0}
    assert not slow, f"expected 413 in under a second, got (status, seconds): {slow}"


def test_the_real_server_holds_an_anonymous_caller_to_a_login_forms_size_but_waits_for_a_signed_in_upload(
    server, astana
):
    """100 KB to the upload route: refused at once for the anonymous caller; for a signed-in one the
    server waits for the body (none comes), because 100 KB is a file it would accept."""
    cookie = session_cookie(make_user("uploader", Role.INVESTIGATOR, astana))
    status, seconds = server.exchange(post_head(UPLOAD, 100 * 1024), timeout=5)
    assert status == 413 and seconds < 1.0
    assert server.exchange(post_head(UPLOAD, 100 * 1024, cookie), timeout=1.5)[0] is None


def test_the_real_server_stops_reading_a_chunked_body_at_the_cap(server):
    """One byte past the anonymous cap, in a chunk whose end never comes: a server that read the whole
    body would wait for the rest; this one answers 413 once the cap is passed."""
    cap = settings.ECASE_BODY_LIMITS["*"][1]
    head = (
        b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    )
    body = f"{cap + 1 + 4096:x}\r\n".encode() + b"x" * (cap + 1)
    status, seconds = server.exchange(head + body, timeout=5)
    assert status == 413 and seconds < 1.0


# --- in-process: the table, the anonymous caller and the chunked cap -----------------------------


class CountingInput(io.BytesIO):
    """wsgi.input that remembers how much of the body the application read."""

    taken = 0

    def read(self, size=-1):
        data = super().read(size)
        self.taken += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.taken += len(data)
        return data


def bodiless_environ(path: str, content_type: str) -> dict:
    """A POST's WSGI environ with its headers and no body yet (the test puts in what the server would)."""
    environ = RequestFactory().generic("POST", path).environ
    environ.pop("CONTENT_LENGTH", None)
    environ["CONTENT_TYPE"] = content_type
    return environ


def chunked_post(path: str, body: bytes, *, content_type="application/x-www-form-urlencoded", cookie=""):
    """Send ``body`` as a chunked request (no Content-Length; wsgi.input is what the server de-chunked)."""
    environ = bodiless_environ(path, content_type)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input"] = stream = CountingInput(body)
    if cookie:
        environ["HTTP_COOKIE"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    return ClientHandler(enforce_csrf_checks=False)(environ), stream


@pytest.mark.django_db
def test_a_chunked_body_past_the_cap_is_refused_after_reading_at_most_the_cap():
    cap = settings.ECASE_BODY_LIMITS["*"][1]
    response, stream = chunked_post("/accounts/login/", b"username=" + b"x" * (5 * cap))
    assert response.status_code == 413
    assert stream.taken <= cap + 1


@pytest.mark.django_db
def test_a_chunked_body_under_the_cap_is_parsed_like_any_other():
    response, stream = chunked_post("/accounts/login/", b"username=nobody-at-all&password=wrong")
    assert response.status_code == 200 and response.wsgi_request.POST["username"] == "nobody-at-all"


@pytest.mark.django_db
def test_a_signed_in_chunked_upload_gets_the_upload_limit_and_an_anonymous_one_the_small_one(astana):
    cookie = session_cookie(make_user("uploader", Role.INVESTIGATOR, astana))
    body = b"--b\r\n" + b"x" * (64 * 1024) + b"\r\n--b--\r\n"
    anonymous, _stream = chunked_post(UPLOAD, body, content_type="multipart/form-data; boundary=b")
    assert anonymous.status_code == 413
    signed_in, stream = chunked_post(UPLOAD, body, content_type="multipart/form-data; boundary=b", cookie=cookie)
    assert signed_in.status_code != 413 and stream.taken == len(body)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path,length,status",
    [
        ("/accounts/login/", 16 * 1024 + 1, 413),  # anonymous, the login form's size at most
        (UPLOAD, 210 * 1024 * 1024, 413),  # the anonymous 210 MB multipart POST of the issue
        (VERIFY, 20 * 1024 * 1024 + 64 * 1024 + 1, 413),  # past a signed PDF's size
    ],
)
def test_an_anonymous_body_over_its_limit_is_refused_unread(path, length, status):
    environ = bodiless_environ(path, "multipart/form-data; boundary=b")
    environ["CONTENT_LENGTH"] = str(length)
    environ["wsgi.input"] = stream = CountingInput(b"")
    response = ClientHandler(enforce_csrf_checks=False)(environ)
    assert response.status_code == status and stream.taken == 0


@pytest.mark.django_db
def test_an_anonymous_verification_upload_of_a_pdfs_size_is_let_through():
    environ = bodiless_environ(VERIFY, "multipart/form-data; boundary=b")
    environ["CONTENT_LENGTH"] = str(1024 * 1024)
    environ["wsgi.input"] = CountingInput(b"--b--\r\n")
    response = ClientHandler(enforce_csrf_checks=False)(environ)
    assert response.status_code == 404  # past the limit check: the view looked for the act's token


def test_the_front_proxy_admits_what_the_app_does_and_no_more_than_the_largest_limit():
    """deploy/nginx.conf (the front of docker-compose.yml) mirrors ECASE_BODY_LIMITS: the default route
    gets ECASE_MAX_BODY_BYTES, the upload and verification routes their own, and nothing more."""
    import re

    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "./deploy/nginx.conf" in (ROOT / "docker-compose.yml").read_text()
    sizes = [int(n) * 1024 * 1024 for n in re.findall(r"^\s*client_max_body_size (\d+)m;", conf, re.M)]
    table = settings.ECASE_BODY_LIMITS
    assert sizes[0] == table["*"][0]
    assert sorted(sizes[1:]) == sorted(
        -(-max(table[name]) // 2**20) * 2**20 for name in ("evidence:upload", "verify:act")
    )


@pytest.mark.django_db
def test_a_usable_api_token_gets_the_signed_in_limit_and_a_made_up_one_the_anonymous_one(astana):
    token = issue(make_user("system", Role.INVESTIGATOR, astana), can_write=True)
    body = b'{"plot": "' + b"x" * (32 * 1024) + b'"}'  # past the anonymous limit, within the signed-in one

    def post(authorization: str):
        environ = bodiless_environ("/api/v1/cases/", "application/json")
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["HTTP_AUTHORIZATION"] = authorization
        environ["wsgi.input"] = stream = CountingInput(body)
        return ClientHandler(enforce_csrf_checks=False)(environ), stream

    made_up, stream = post("Bearer ecase_0123456789_" + "a" * 43)
    assert made_up.status_code == 413 and stream.taken == 0
    usable, _stream = post(f"Bearer {token}")
    assert usable.status_code != 413
