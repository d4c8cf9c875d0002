"""The inputs of the clocks (cases/clocks.py), read in a fixed number of queries.

``case_clocks_of`` gives one case's clocks (the term tab: six queries whatever the case holds);
``clocks_due`` gives what runs out soon or is overdue across the cases a user may see (the
dashboard and the daily warnings), through ``restrict``, the one access path.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from .choices import ActStatus, CaseAction, CaseStatus
from .clocks import ActInputs, Clock, TermInputs, act_clocks, case_clocks, due_within, statutory_terms, term_clock
from .deadlines import Period
from .models import (
    Case,
    CaseStatusChange,
    DeadlineExtension,
    Interruption,
    ProceduralAct,
    ProceduralActType,
    ProceedingsTerm,
)

# The cases whose term runs (or stands still): a completed case has no term left.
TERM_STATUSES = (CaseStatus.REGISTERED, CaseStatus.INVESTIGATING, CaseStatus.INTERRUPTED)
# The act types that start a clock once in force (an act awaiting agreement starts one of any type),
# each with how far back the dashboards and the daily warnings look for them: the longest clock of
# the type and a month of being overdue (custody: up to 18 months asked for, art. 151, flagged).
# Older overdue clocks stay on their case's term tab; the lists stay bounded.
OVERDUE_SHOWN = timedelta(days=31)
CLOCK_ACT_TYPES = {
    "detention_protocol": timedelta(hours=statutory_terms()["detention"]["hours"]) + OVERDUE_SHOWN,
    "preventive_measure_request": timedelta(days=18 * 31) + OVERDUE_SHOWN,
    **{
        code: timedelta(hours=statutory_terms()["announcement"]["hours"]) + OVERDUE_SHOWN
        for code in statutory_terms()["announcement"]["types"]
    },
}


def term_inputs_for(cases: list[Case]) -> dict[int, TermInputs]:
    """The term's inputs of each case of ``cases``: four queries for any number."""
    if not cases:
        return {}
    ids = [case.pk for case in cases]
    terms = {term.form: term for term in ProceedingsTerm.objects.all()}
    extensions: dict[int, list[tuple]] = defaultdict(list)
    for case_id, granted_on, days in (
        DeadlineExtension.objects.filter(case_id__in=ids)
        .order_by("granted_on", "pk")
        .values_list("case_id", "granted_on", "days")
    ):
        extensions[case_id].append((granted_on, days))
    interruptions: dict[int, list[Period]] = defaultdict(list)
    for case_id, start, end in Interruption.objects.filter(case_id__in=ids).values_list(
        "case_id", "started_on", "ended_on"
    ):
        interruptions[case_id].append(Period(start, end))
    returns: dict[int, list] = defaultdict(list)
    for case_id, day in CaseStatusChange.objects.filter(case_id__in=ids, action=CaseAction.RETURN).values_list(
        "case_id", "on_date"
    ):
        returns[case_id].append(day)
    inputs = {}
    for case in cases:
        term = terms.get(case.proceedings_form)
        if term is None:
            continue
        inputs[case.pk] = TermInputs(
            form=case.proceedings_form,
            registered_on=timezone.localdate(case.registered_at),
            term_days=term.term_days,
            term_months=term.term_months,
            article=term.cpc_article,
            needs_verification=term.needs_verification,
            extensions=tuple(extensions[case.pk]),
            interruptions=tuple(interruptions[case.pk]),
            returns=tuple(returns[case.pk]),
        )
    return inputs


def term_inputs(case: Case) -> TermInputs | None:
    """The term's inputs of ``case`` (None: no term is configured for its form)."""
    return term_inputs_for([case]).get(case.pk)


def clock_type_ids() -> dict[str, int]:
    """The ids of CLOCK_ACT_TYPES, looked up first: the acts are then read through the partial index
    act_signed_clock (act type, signature time) instead of a join on the type's code."""
    return dict(ProceduralActType.objects.filter(code__in=CLOCK_ACT_TYPES).values_list("code", "pk"))


def clock_acts_condition(type_ids: dict[str, int], *, now: datetime | None = None, due_by=None) -> Q:
    """Acts that may start a clock: waiting for agreement, or signed acts of the clock types. With
    ``now``, only those the lists look at: agreements due by ``due_by``, signed acts within their
    type's look-back (CLOCK_ACT_TYPES)."""
    waiting = Q(status=ActStatus.AWAITING_AGREEMENT)
    signed = Q(status=ActStatus.SIGNED, withdrawn_at__isnull=True)
    if now is None:
        return waiting | (signed & Q(act_type_id__in=type_ids.values()))
    recent = Q()
    for code, type_id in type_ids.items():
        recent |= Q(act_type_id=type_id, signed_at__gte=now - CLOCK_ACT_TYPES[code])
    return (waiting & Q(agreement_due_at__lte=due_by)) | (signed & recent)


def _clock_acts(acts: QuerySet[ProceduralAct]) -> QuerySet[ProceduralAct]:
    """With what ``in_force`` and the agreement clock read."""
    return acts.select_related("act_type", "requirement", "sanction", "superseded_by").order_by("case_id", "number")


def act_inputs(act: ProceduralAct) -> ActInputs:
    requirement = act.requirement
    return ActInputs(
        act_id=act.pk,
        type_code=act.act_type.code,
        in_force=act.in_force,
        status=act.status,
        fields=act.fields or {},
        signed_at=act.signed_at,
        agreement_due_at=act.agreement_due_at,
        agreement_hours=requirement.agreement_hours if requirement else None,
        agreement_article=requirement.agreement_article if requirement else "",
        agreement_needs_verification=requirement.needs_verification if requirement else True,
    )


def case_clocks_of(case: Case, now: datetime | None = None) -> list[Clock]:
    """Every clock of ``case`` (the caller checked access to it): six queries."""
    now = now or timezone.now()
    acts = _clock_acts(ProceduralAct.objects.filter(clock_acts_condition(clock_type_ids()), case=case))
    term = term_inputs(case) if case.status in TERM_STATUSES else None
    return case_clocks(term, [act_inputs(act) for act in acts], now)


def clocks_due(cases: QuerySet[Case], *, hours: int, now: datetime | None = None, limit: int | None = None):
    """``(case, clock)`` pairs overdue or running out within ``hours``, soonest first, across ``cases``
    (a ``restrict`` query set): the term from the stored ``Case.deadline`` (index case_deadline) and
    the acts' clocks from the acts that may start one (acts waiting for agreement through the
    partial index act_agreement_due; signed acts of the clock types within their look-back, through
    the partial index act_signed_clock).
    Seven queries whatever the number of cases.
    """
    now = now or timezone.now()
    horizon = now + timedelta(hours=hours)
    last_day = timezone.localtime(horizon).date() - timedelta(days=1)  # a term ends at the midnight after it
    limit = limit or 10**9
    due_cases = list(
        cases.filter(status__in=TERM_STATUSES, deadline__lte=last_day)
        .select_related("unit")
        .order_by("deadline", "pk")[:limit]
    )
    pairs: list[tuple[Case, Clock]] = []
    # The stored deadline filters; the clock itself is the engine's, so the page and the dashboard
    # never disagree on the article or the state.
    terms = term_inputs_for(due_cases)
    for case in due_cases:
        if case.pk in terms:
            clock = term_clock(terms[case.pk], now)
            if clock.end is not None and clock.end <= horizon:
                pairs.append((case, clock))
    condition = clock_acts_condition(clock_type_ids(), now=now, due_by=horizon)
    acts = ProceduralAct.objects.filter(condition, case__in=cases)
    by_case: dict[int, list[ProceduralAct]] = defaultdict(list)
    for act in _clock_acts(acts).select_related("case__unit"):
        by_case[act.case_id].append(act)
    for case_acts in by_case.values():
        case = case_acts[0].case
        for clock in due_within(act_clocks([act_inputs(a) for a in case_acts], now), now, hours):
            pairs.append((case, clock))
    pairs.sort(key=lambda pair: (pair[1].end, pair[0].pk))
    return pairs[:limit]
