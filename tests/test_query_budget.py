"""Every request's SQL has a time budget (issue #15): a statement past it is cancelled and answered 503.

The slow statement is real: another connection holds an exclusive lock on the cases table (as a
long migration or a runaway report would), so the page's query waits on it until PostgreSQL's
statement_timeout cancels it. Transactional tests: the lock holder is a second connection.
"""

import threading
from contextlib import contextmanager

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from audit.models import AuditEvent
from tests.api.helpers import Api, error_of, issue
from tests.auth import verified_client
from tests.factories import register

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's"),
]


@contextmanager
def cases_table_locked():
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("LOCK TABLE cases_case IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join()


@pytest.fixture
def tight_budget(settings):
    settings.ECASE_QUERY_TIMEOUT_MS = 300


def test_a_page_past_its_budget_answers_503_with_a_plain_message_and_an_event(tight_budget, investigator):
    register(actor=investigator)
    client = verified_client(investigator)
    with cases_table_locked():
        response = client.get(reverse("cases:list"))
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "took too long" in response.content.decode()
    event = AuditEvent.objects.get(event="ops.query_timeout")
    assert (event.actor, event.data["path"], event.data["budget_ms"]) == (investigator, reverse("cases:list"), 300)
    assert client.get(reverse("cases:list")).status_code == 200  # the next request runs normally


def test_an_api_request_past_its_budget_answers_503_in_the_error_shape(tight_budget, investigator):
    register(actor=investigator)
    api = Api(token=issue(investigator))
    with cases_table_locked():
        response = api.get("/api/v1/cases/")
    assert response.status_code == 503 and error_of(response)["code"] == "query_timeout"


def test_an_export_has_a_longer_budget_than_a_page(settings, rf):
    from ecase.query_budget import budget_ms

    assert budget_ms(rf.get(reverse("cases:export", args=[1]))) == settings.ECASE_QUERY_BUDGETS["cases:export"]
    assert budget_ms(rf.get(reverse("cases:list"))) == settings.ECASE_QUERY_TIMEOUT_MS
    assert budget_ms(rf.get("/no/such/page/")) == settings.ECASE_QUERY_TIMEOUT_MS


def test_each_request_sets_its_own_budget_on_the_connection(settings, investigator):
    settings.ECASE_QUERY_TIMEOUT_MS = 1234
    verified_client(investigator).get(reverse("cases:list"))
    with connections["default"].cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "1234ms"
