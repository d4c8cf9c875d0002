"""Every clock of a case (issue #18, item 3): the engine's arithmetic, the ceiling of each prosecutor
level, a return's new term, an interruption for an expertise, the term tab, the dashboard and the
daily warnings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import ProsecutorLevel
from audit.choices import EventType
from audit.models import AuditEvent
from cases.choices import CaseAction, CaseStatus
from cases.clock_selectors import case_clocks_of
from cases.clocks import (
    ActInputs,
    Kind,
    State,
    TermInputs,
    act_clocks,
    extension_refusal,
    term_clock,
    term_deadline,
)
from cases.deadlines import Period, add_months
from cases.models import Case, DeadlineExtension, ProceduralAct
from cases.services.case import case_transition
from cases.services.term import deadline_extend
from cases.tasks import warn_clocks
from tests.auth import verified_client
from tests.cases.decrees import decree_move
from tests.factories import register


def inputs(**changes) -> TermInputs:
    values = {
        "form": "investigation",
        "registered_on": date(2026, 1, 1),
        "term_days": None,
        "term_months": 2,
        "article": "192",
        "needs_verification": False,
    }
    return TermInputs(**{**values, **changes})


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


# --- the engine ------------------------------------------------------------------------------------


def test_months_end_on_the_last_day_of_a_shorter_month():
    assert term_deadline(inputs(registered_on=date(2025, 12, 31))) == date(2026, 2, 28)
    assert term_deadline(inputs(registered_on=date(2027, 12, 31))) == date(2028, 2, 29)
    assert term_deadline(inputs(form="inquiry", term_days=30, term_months=None)) == date(2026, 1, 31)


def test_several_extensions_add_up_and_an_interruption_stops_the_clock():
    running = inputs(extensions=((date(2026, 2, 20), 10), (date(2026, 3, 5), 15)))
    assert term_deadline(running) == date(2026, 3, 1) + timedelta(days=25)
    stopped = inputs(interruptions=(Period(date(2026, 1, 10), None),))
    clock = term_clock(stopped, at(date(2026, 5, 1)))
    assert term_deadline(stopped) is None and clock.state == State.STOPPED and clock.end is None
    resumed = inputs(interruptions=(Period(date(2026, 1, 10), date(2026, 1, 30)),))
    assert term_deadline(resumed) == date(2026, 3, 21)


def test_the_clock_runs_out_at_the_midnight_after_the_last_day():
    term = inputs()  # last day 01.03.2026
    assert term_clock(term, at(date(2026, 3, 1), 23)).state == State.RUNNING
    overdue = term_clock(term, at(date(2026, 3, 2), 0))
    assert overdue.state == State.OVERDUE and overdue.article == "192" and overdue.key == Kind.TERM


def test_a_return_starts_a_new_term_without_the_old_extensions():
    old = inputs(extensions=((date(2026, 2, 20), 30),), interruptions=(Period(date(2026, 1, 5), date(2026, 1, 15)),))
    returned = TermInputs(**{**old.__dict__, "returns": (date(2026, 6, 10),)})
    # One month from the return day (statutory_terms.json "return"); the old term's days are gone.
    assert term_deadline(returned) == date(2026, 7, 10)
    clock = term_clock(returned, at(date(2026, 6, 11)))
    assert clock.state == State.RUNNING and clock.start.date() == date(2026, 6, 10)
    # An extension granted after the return counts; a second return starts over again.
    extended = TermInputs(**{**returned.__dict__, "extensions": (*old.extensions, (date(2026, 7, 1), 20))})
    assert term_deadline(extended) == date(2026, 7, 30)
    again = TermInputs(**{**extended.__dict__, "returns": (date(2026, 6, 10), date(2026, 9, 1))})
    assert term_deadline(again) == date(2026, 10, 1)


def test_an_interruption_spanning_a_return_counts_from_the_return_day():
    spanning = inputs(interruptions=(Period(date(2026, 6, 1), date(2026, 6, 20)),), returns=(date(2026, 6, 10),))
    assert term_deadline(spanning) == date(2026, 7, 10) + timedelta(days=10)
    open_since_before = inputs(interruptions=(Period(date(2026, 6, 1), None),), returns=(date(2026, 6, 10),))
    assert term_deadline(open_since_before) is None


def test_the_ceiling_of_each_prosecutor_level():
    term = inputs()  # base term to 01.03.2026; district ceiling 3 months: 01.04.2026
    assert extension_refusal(term, level=ProsecutorLevel.DISTRICT, days=31) is None
    refusal = extension_refusal(term, level=ProsecutorLevel.DISTRICT, days=32)
    assert refusal and "3" in refusal and "01.04.2026" in refusal
    assert extension_refusal(term, level=ProsecutorLevel.REGIONAL, days=32) is None
    granted = inputs(extensions=((date(2026, 2, 25), 31),))
    assert extension_refusal(granted, level=ProsecutorLevel.DISTRICT, days=1)
    assert extension_refusal(granted, level=ProsecutorLevel.REGIONAL, days=91) is None  # to 01.07.2026
    assert extension_refusal(granted, level=ProsecutorLevel.REGIONAL, days=92)
    assert extension_refusal(granted, level=ProsecutorLevel.GENERAL, days=270) is None
    # Interrupted days are not part of the term: they do not use up the ceiling.
    interrupted = inputs(interruptions=(Period(date(2026, 1, 10), date(2026, 3, 10)),))
    assert extension_refusal(interrupted, level=ProsecutorLevel.DISTRICT, days=31) is None
    # No ladder recorded for the inquiry (statutory_terms.json): no ceiling is enforced there.
    inquiry = inputs(form="inquiry", term_days=30, term_months=None)
    assert extension_refusal(inquiry, level=ProsecutorLevel.DISTRICT, days=365) is None


def test_the_clocks_of_acts():
    now = at(date(2026, 3, 10))
    detained = (now - timedelta(hours=80)).isoformat()
    acts = [
        ActInputs(1, "detention_protocol", True, "signed", {"detained": 7, "detained_at": detained}, now),
        ActInputs(2, "detention_protocol", True, "signed", {"detained": 8, "detained_at": detained}, now),
        # A preventive measure asked for person 8 ends that detention's clock.
        ActInputs(3, "preventive_measure_request", True, "signed", {"suspect": 8, "measure": "bail"}, now),
        ActInputs(4, "preventive_measure_request", True, "signed", {"suspect": 9, "measure": "custody"}, now),
        ActInputs(5, "preventive_measure_request", False, "signed", {"suspect": 9, "measure": "custody"}, now),
        ActInputs(6, "qualification", True, "signed", {}, now - timedelta(hours=30)),
        ActInputs(7, "qualification", True, "signed", {"announced_at": "2026-03-09T10:00"}, now),
        ActInputs(
            8,
            "suspect_recognition",
            False,
            "awaiting_agreement",
            {},
            None,
            now + timedelta(hours=3),
            24,
            "ст. 202 ч. 1",
        ),
    ]
    clocks = {clock.key: clock for clock in act_clocks(acts, now)}
    assert set(clocks) == {"detention:1", "custody:4", "announcement:6", "agreement:8"}
    assert clocks["detention:1"].state == State.OVERDUE and clocks["detention:1"].article == "131"
    assert clocks["custody:4"].end == at(date(2026, 5, 10)) and clocks["custody:4"].state == State.RUNNING
    assert clocks["announcement:6"].state == State.OVERDUE and clocks["announcement:6"].article == "206"
    assert clocks["agreement:8"].start == now - timedelta(hours=21)
    assert clocks["agreement:8"].article_text == "ст. 202 ч. 1"


# --- the services ----------------------------------------------------------------------------------


@pytest.fixture
def investigation(investigator, prosecutor):
    return register(actor=investigator, prosecutor=prosecutor, form="investigation", days_ago=0)


def test_an_extension_beyond_the_levels_ceiling_is_refused(investigation, prosecutor, prosecutors_office):
    prosecutors_office.prosecutor_level = ProsecutorLevel.DISTRICT
    prosecutors_office.save()
    registered = timezone.localdate(investigation.registered_at)
    before = Case.objects.get(pk=investigation.pk).deadline
    ceiling_days = (add_months(registered, 3) - before).days  # a district prosecutor: 3 months in all
    with pytest.raises(ValidationError, match="3"):
        deadline_extend(case_id=investigation.pk, actor=prosecutor, days=ceiling_days + 1, reason="Экспертиза")
    # Nothing changed: no extension, no decision act, the same deadline.
    assert not DeadlineExtension.objects.filter(case=investigation).exists()
    assert not ProceduralAct.objects.filter(case=investigation).exists()
    assert Case.objects.get(pk=investigation.pk).deadline == before
    # Up to the ceiling it is granted; the regional prosecutor may go further.
    deadline_extend(case_id=investigation.pk, actor=prosecutor, days=ceiling_days, reason="Экспертиза")
    assert Case.objects.get(pk=investigation.pk).deadline == add_months(registered, 3)
    prosecutors_office.prosecutor_level = ""  # an office at the top of its tree: regional
    prosecutors_office.save()
    deadline_extend(case_id=investigation.pk, actor=prosecutor, days=30, reason="Экспертиза")
    assert Case.objects.get(pk=investigation.pk).deadline == add_months(registered, 3) + timedelta(30)


def test_a_return_resets_the_term(investigator, prosecutor, signing):
    case = register(actor=investigator, prosecutor=prosecutor, form="investigation", days_ago=200)
    case_transition(case_id=case.pk, action=CaseAction.START, actor=investigator)
    decree_move(case, CaseAction.SEND_TO_PROSECUTOR, investigator, prosecutor=prosecutor)
    assert Case.objects.get(pk=case.pk).deadline < timezone.localdate()  # the old term is long over
    case_transition(case_id=case.pk, action=CaseAction.RETURN, actor=prosecutor, reason="Не допрошен свидетель.")
    returned = Case.objects.get(pk=case.pk)
    assert returned.status == CaseStatus.INVESTIGATING
    assert returned.deadline == add_months(timezone.localdate(), 1)
    term = case_clocks_of(returned)[0]
    assert term.kind == Kind.TERM and term.state == State.RUNNING


def test_an_interruption_for_an_expertise_stops_the_clock_and_the_resumption_restarts_it(
    investigator, prosecutor, signing
):
    investigation = register(actor=investigator, prosecutor=prosecutor, form="investigation", days_ago=20)
    case_transition(case_id=investigation.pk, action=CaseAction.START, actor=investigator)
    before = Case.objects.get(pk=investigation.pk).deadline
    started = timezone.localdate() - timedelta(days=12)
    # The decree of interruption on the ground of art. 45 part 7 item 9 (Law 88-VII), agreed and in force.
    decree_move(
        investigation,
        CaseAction.INTERRUPT,
        investigator,
        prosecutor=prosecutor,
        ground="expertise",
        interrupted_from=started.isoformat(),
    )
    stopped = Case.objects.get(pk=investigation.pk)
    assert stopped.deadline is None and case_clocks_of(stopped)[0].state == State.STOPPED
    assert "ст. 45 ч. 7 п. 9" in stopped.interruptions.get().ground
    decree_move(stopped, CaseAction.RESUME, investigator, prosecutor=prosecutor)
    resumed = Case.objects.get(pk=investigation.pk)
    assert resumed.deadline == before + timedelta(days=12)
    assert case_clocks_of(resumed)[0].state == State.RUNNING


# --- the pages -------------------------------------------------------------------------------------


def test_the_term_tab_shows_the_clocks_in_a_fixed_number_of_statements(investigation, investigator, prosecutor):
    client = verified_client(investigator)
    url = f"{reverse('cases:detail', args=[investigation.pk])}?tab=term"
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        page = client.get(url).content.decode()
    assert 'class="clocks"' in page and "CPC RK art. 192" in page
    deadline = Case.objects.get(pk=investigation.pk).deadline
    assert f"{deadline:%d.%m.%Y} 23:59" in page  # the last day, to its end
    deadline_extend(case_id=investigation.pk, actor=prosecutor, days=5, reason="Экспертиза")
    case_transition(case_id=investigation.pk, action=CaseAction.START, actor=investigator)
    with CaptureQueriesContext(connection) as more:
        page = client.get(url).content.decode()
    assert len(more) == len(first), [q["sql"][:80] for q in more.captured_queries]


def test_the_dashboard_shows_each_roles_clocks_in_a_fixed_number_of_statements(
    investigator, colleague, supervisor, prosecutor
):
    overdue = register(actor=investigator, prosecutor=prosecutor, articles=("293-1",), form="protocol", days_ago=20)
    soon = register(actor=investigator, prosecutor=prosecutor, articles=("293-1",), form="protocol", days_ago=8)
    register(actor=investigator, form="inquiry", days_ago=0)  # 30 days left: not shown
    client = verified_client(investigator)
    client.get("/")
    with CaptureQueriesContext(connection) as first:
        page = client.get("/").content.decode()
    assert page.index(overdue.registration_number) < page.index(soon.registration_number)
    assert 'id="clocks-due"' in page
    for _ in range(3):
        register(actor=investigator, articles=("293-1",), form="protocol", days_ago=15)
    with CaptureQueriesContext(connection) as more:
        client.get("/")
    assert len(more) == len(first), [q["sql"][:80] for q in more.captured_queries]
    # Each role through its own access: the head of unit sees the unit's, a colleague none of these.
    assert overdue.registration_number in verified_client(supervisor).get("/").content.decode()
    assert overdue.registration_number not in verified_client(colleague).get("/").content.decode()


def test_the_daily_job_records_one_warning_per_clock_per_day(investigator, prosecutor, settings):
    overdue = register(actor=investigator, prosecutor=prosecutor, articles=("293-1",), form="protocol", days_ago=20)
    register(actor=investigator, form="inquiry", days_ago=0)  # not due
    assert settings.CELERY_BEAT_SCHEDULE["warn-clocks"]["task"] == warn_clocks.name
    assert warn_clocks() == 1
    warning = AuditEvent.objects.get(event=EventType.CLOCK_WARNING)
    assert warning.case_id == overdue.pk and warning.actor is None
    assert warning.data["clock"] == "term" and warning.data["state"] == State.OVERDUE
    assert warning.data["article"] == "526"
    assert warn_clocks() == 0  # the same day: nothing new
    assert AuditEvent.objects.filter(event=EventType.CLOCK_WARNING).count() == 1


def test_refresh_deadlines_gives_a_case_returned_before_the_clocks_its_new_term(investigator, prosecutor, signing):
    case = register(actor=investigator, prosecutor=prosecutor, form="investigation", days_ago=200)
    case_transition(case_id=case.pk, action=CaseAction.START, actor=investigator)
    decree_move(case, CaseAction.SEND_TO_PROSECUTOR, investigator, prosecutor=prosecutor)
    old = Case.objects.get(pk=case.pk).deadline
    case_transition(case_id=case.pk, action=CaseAction.RETURN, actor=prosecutor, reason="Не допрошен свидетель.")
    with connection.cursor() as cursor:  # as the service left it before the clocks (history bypassed on purpose)
        cursor.execute("UPDATE cases_case SET deadline = %s WHERE id = %s", [old, case.pk])
    out = StringIO()
    call_command("refresh_deadlines", stdout=out)
    assert "1 returned case(s) checked, 1 deadline(s) moved" in out.getvalue()
    fixed = Case.objects.get(pk=case.pk)
    assert fixed.deadline == add_months(timezone.localdate(), 1)
    assert fixed.history.first().history_change_reason.startswith("Term recomputed")
    call_command("refresh_deadlines", stdout=(again := StringIO()))
    assert "0 deadline(s) moved" in again.getvalue()
