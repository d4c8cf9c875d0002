"""The access log: who opened what, from where, and every refused attempt."""

from django.urls import reverse

from audit.choices import EventType, Outcome
from audit.models import AuditEvent
from tests.auth import stale_otp_client, verified_client
from tests.factories import register


def test_opening_a_case_is_logged_with_address_and_request_id(investigator, case):
    response = verified_client(investigator).get(reverse("cases:detail", args=[case.pk]), REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(event=EventType.CASE_OPENED, case_id=case.pk)
    assert (event.actor, event.ip, event.request_id) == (investigator, "10.1.2.3", response["X-Request-ID"])


def test_a_refused_attempt_is_logged_in_the_cases_own_log(outsider, prosecutor, case):
    assert verified_client(outsider).get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert verified_client(prosecutor).get(reverse("cases:edit", args=[case.pk])).status_code == 403
    denied = AuditEvent.objects.filter(event=EventType.ACCESS_DENIED, case_id=case.pk, outcome=Outcome.DENIED)
    assert {(e.actor, e.data["status"]) for e in denied} == {(outsider, 404), (prosecutor, 403)}


def test_an_attempt_on_an_absent_case_is_logged_without_a_case(investigator):
    assert verified_client(investigator).get(reverse("cases:detail", args=[987654])).status_code == 404
    assert AuditEvent.objects.filter(event=EventType.ACCESS_DENIED, case_id__isnull=True, actor=investigator).exists()


def test_supervisor_reads_the_units_log_and_nothing_else(investigator, supervisor, outsider, case):
    foreign = register(actor=outsider)
    verified_client(investigator).get(reverse("cases:detail", args=[case.pk]))
    verified_client(outsider).get(reverse("cases:detail", args=[foreign.pk]))
    page = verified_client(supervisor).get(reverse("cases:access-log-all")).content.decode()
    assert reverse("cases:detail", args=[case.pk]) in page
    assert reverse("cases:detail", args=[foreign.pk]) not in page


def test_an_investigator_has_no_access_log(investigator, case):
    client = verified_client(investigator)
    client.get(reverse("cases:detail", args=[case.pk]))
    assert client.get(reverse("cases:access-log", args=[case.pk])).status_code == 403
    assert reverse("cases:detail", args=[case.pk]) not in client.get(reverse("cases:access-log-all")).content.decode()


def test_the_units_log_leaves_out_grave_cases_until_the_second_factor_is_recent(
    investigator, supervisor, prosecutor, case
):
    grave = register(actor=investigator, prosecutor=prosecutor, supervisor=supervisor, articles=("99-1",))
    verified_client(investigator).get(reverse("cases:detail", args=[case.pk]))
    verified_client(investigator).get(reverse("cases:detail", args=[grave.pk]))
    stale = stale_otp_client(supervisor).get(reverse("cases:access-log-all")).content.decode()
    assert reverse("cases:detail", args=[case.pk]) in stale
    assert reverse("cases:detail", args=[grave.pk]) not in stale
    assert reverse("accounts:otp-verify") in stale  # and the page says how to show them
    fresh = verified_client(supervisor).get(reverse("cases:access-log-all")).content.decode()
    assert reverse("cases:detail", args=[grave.pk]) in fresh and reverse("accounts:otp-verify") not in fresh
