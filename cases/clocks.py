"""Every statutory clock of a case and its participants (issue #18, item 3).

One engine for the terms the people running a case watch: the term of pre-trial proceedings (base
term by form, extensions, interruptions, a new term after a return), each detention (hours), each
custody, each act waiting for the prosecutor's agreement and each qualification waiting to be
announced. The values and their articles are data (cases/data/statutory_terms.json, the form's
base term in ProceedingsTerm, the agreement hours in the act's requirements); the functions here
are pure, over inputs the selectors load (cases/clock_selectors.py), like cases/deadlines.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .deadlines import Period, add_months, compute_deadline

DATA = Path(__file__).resolve().parent / "data" / "statutory_terms.json"

# The prosecutor levels of the extension ladder, lowest first (accounts.choices.ProsecutorLevel).
LEVELS = ("district", "regional", "general")


@cache
def statutory_terms() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


class Kind:
    TERM = "term"
    DETENTION = "detention"
    CUSTODY = "custody"
    AGREEMENT = "agreement"
    ANNOUNCEMENT = "announcement"


KIND_LABELS = {
    Kind.TERM: _("Term of pre-trial proceedings"),
    Kind.DETENTION: _("Detention"),
    Kind.CUSTODY: _("Custody"),
    Kind.AGREEMENT: _("Prosecutor's agreement"),
    Kind.ANNOUNCEMENT: _("Announcement of the qualification"),
}


class State:
    RUNNING = "running"
    STOPPED = "stopped"  # the term is interrupted: the clock stands still
    OVERDUE = "overdue"


STATE_LABELS = {State.RUNNING: _("running"), State.STOPPED: _("stopped"), State.OVERDUE: _("overdue")}


@dataclass(frozen=True)
class Clock:
    kind: str
    key: str  # stable within the case: "term", "detention:<act id>" — the daily warning's identity
    article: str
    start: datetime
    end: datetime | None  # the moment the term runs out; None while it stands still
    state: str
    act_id: int | None = None
    needs_verification: bool = False

    @property
    def label(self):
        return KIND_LABELS[self.kind]

    @property
    def shown_end(self) -> datetime | None:
        """The end as people say it: a term runs to the end of its last day (23:59), not to 00:00."""
        if self.end is None or self.kind != Kind.TERM:
            return self.end
        return self.end - timedelta(minutes=1)

    @property
    def article_text(self) -> str:
        """The data names an article by its number; the requirements write it out ("ст. 202 ч. 1")."""
        if self.article[:1].isdigit():
            return f"{_('CPC RK art.')} {self.article}"
        return self.article

    @property
    def state_label(self):
        return STATE_LABELS[self.state]

    def remaining(self, now: datetime) -> timedelta | None:
        return None if self.end is None else self.end - now


def _state(end: datetime | None, now: datetime) -> str:
    if end is None:
        return State.STOPPED
    return State.OVERDUE if end <= now else State.RUNNING


def end_of_day(day: date) -> datetime:
    """A term's last day runs out at the following local midnight."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- the term of pre-trial proceedings --------------------------------------------------------------


@dataclass(frozen=True)
class TermInputs:
    form: str
    registered_on: date
    term_days: int | None  # the form's base term (ProceedingsTerm)
    term_months: int | None
    article: str
    needs_verification: bool
    extensions: tuple[tuple[date, int], ...] = ()  # (granted on, days), in order
    interruptions: tuple[Period, ...] = ()
    returns: tuple[date, ...] = ()  # days of the prosecutor's returns for additional investigation


@dataclass(frozen=True)
class TermBase:
    """Where the running term starts and how long it is before extensions."""

    start: date
    term_days: int | None
    term_months: int | None
    article: str
    needs_verification: bool


def term_base(inputs: TermInputs) -> TermBase:
    """The form's term from registration, or — after a return — the new term from the last return."""
    if inputs.returns:
        data = statutory_terms()["return"]
        return TermBase(max(inputs.returns), None, data["term_months"], data["article"], data["needs_verification"])
    return TermBase(
        inputs.registered_on, inputs.term_days, inputs.term_months, inputs.article, inputs.needs_verification
    )


def _since(inputs: TermInputs, start: date) -> tuple[list[int], list[Period]]:
    """Extensions and interrupted days of the running term only: a return starts a new term, so what
    was granted or stood still before it belongs to the old one (an interruption spanning the
    return counts from the return day)."""
    days = [d for granted_on, d in inputs.extensions if granted_on >= start]
    periods = [Period(max(p.start, start), p.end) for p in inputs.interruptions if p.end is None or p.end > start]
    return days, periods


def term_deadline(inputs: TermInputs) -> date | None:
    """The last day of the running term (``Case.deadline``), or None while it is interrupted."""
    base = term_base(inputs)
    days, periods = _since(inputs, base.start)
    return compute_deadline(
        start=base.start,
        term_days=base.term_days,
        term_months=base.term_months,
        extension_days=days,
        interruptions=periods,
    )


def extension_ceiling(form: str, level: str) -> tuple[int | None, dict]:
    """Months of the whole term a prosecutor of ``level`` may extend a ``form`` term to (None: no
    ceiling recorded for the form), and the ladder's data (article, verification)."""
    ladder = statutory_terms()["extension_ladder"]
    steps = ladder["forms"].get(form)
    return (steps[level] if steps else None), ladder


def extension_refusal(inputs: TermInputs, *, level: str, days: int) -> str | None:
    """Why ``days`` more would take the term past the ceiling of the granting prosecutor's level
    (art. 192), or None. The ceiling bounds the term itself: interrupted days are not counted."""
    ceiling, ladder = extension_ceiling(inputs.form, level)
    if ceiling is None:
        return None
    base = term_base(inputs)
    granted, _periods = _since(inputs, base.start)
    end = compute_deadline(
        start=base.start,
        term_days=base.term_days,
        term_months=base.term_months,
        extension_days=[*granted, days],
        interruptions=(),
    )
    limit = add_months(base.start, ceiling)
    if end is not None and end > limit:
        return str(
            _(
                "A prosecutor of this level may extend the term to %(months)s months in all (УПК РК art. %(article)s), "
                "that is to %(limit)s; %(days)s more days would end it on %(end)s. A prosecutor of a higher level decides."
            )
            % {
                "months": ceiling,
                "article": ladder["article"],
                "limit": limit.strftime("%d.%m.%Y"),
                "days": days,
                "end": end.strftime("%d.%m.%Y"),
            }
        )
    return None


def term_clock(inputs: TermInputs, now: datetime) -> Clock:
    base = term_base(inputs)
    deadline = term_deadline(inputs)
    end = end_of_day(deadline) if deadline is not None else None
    return Clock(
        kind=Kind.TERM,
        key=Kind.TERM,
        article=base.article,
        start=start_of_day(base.start),
        end=end,
        state=_state(end, now),
        needs_verification=base.needs_verification,
    )


# --- the clocks of acts: detention, custody, agreement, announcement --------------------------------


@dataclass(frozen=True)
class ActInputs:
    """What the clocks need of one act (cases/clock_selectors.py reads them)."""

    act_id: int
    type_code: str
    in_force: bool
    status: str
    fields: dict = field(default_factory=dict)
    signed_at: datetime | None = None
    agreement_due_at: datetime | None = None
    agreement_hours: int | None = None
    agreement_article: str = ""
    agreement_needs_verification: bool = True


def _field_datetime(fields: dict, name: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(fields[name])
    except (KeyError, TypeError, ValueError):
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _field_int(fields: dict, name: str) -> int | None:
    try:
        value = int(fields[name])
    except (KeyError, TypeError, ValueError):
        return None
    return value if value > 0 else None


def act_clocks(acts: Iterable[ActInputs], now: datetime) -> list[Clock]:
    """The clocks the acts of one case start, in the acts' order."""
    acts = list(acts)
    data = statutory_terms()
    # A detention ends, for the clock, once a preventive measure is asked for the person detained.
    measured = {
        int(a.fields.get("suspect") or 0) for a in acts if a.type_code == "preventive_measure_request" and a.signed_at
    }
    clocks = []
    for act in acts:
        clock = None
        if act.status == "awaiting_agreement" and act.agreement_due_at is not None:
            hours = act.agreement_hours or 0
            clock = Clock(
                kind=Kind.AGREEMENT,
                key=f"agreement:{act.act_id}",
                article=act.agreement_article,
                start=act.agreement_due_at - timedelta(hours=hours),
                end=act.agreement_due_at,
                state=_state(act.agreement_due_at, now),
                act_id=act.act_id,
                needs_verification=act.agreement_needs_verification,
            )
        elif act.type_code == "detention_protocol" and act.in_force:
            clock = _detention_clock(act, data["detention"], measured, now)
        elif act.type_code == "preventive_measure_request" and act.in_force and act.fields.get("measure") == "custody":
            clock = _custody_clock(act, data["custody"], now)
        elif act.type_code in data["announcement"]["types"] and act.in_force and not act.fields.get("announced_at"):
            rule = data["announcement"]
            end = act.signed_at + timedelta(hours=rule["hours"]) if act.signed_at else None
            if end is not None:
                clock = Clock(
                    kind=Kind.ANNOUNCEMENT,
                    key=f"announcement:{act.act_id}",
                    article=rule["article"],
                    start=end - timedelta(hours=rule["hours"]),
                    end=end,
                    state=_state(end, now),
                    act_id=act.act_id,
                    needs_verification=rule["needs_verification"],
                )
        if clock is not None:
            clocks.append(clock)
    return clocks


def _detention_clock(act: ActInputs, rule: dict, measured: set[int], now: datetime) -> Clock | None:
    start = _field_datetime(act.fields, "detained_at")
    detained = _field_int(act.fields, "detained")
    if start is None or detained in measured:
        return None
    end = start + timedelta(hours=rule["hours"])
    return Clock(
        kind=Kind.DETENTION,
        key=f"detention:{act.act_id}",
        article=rule["article"],
        start=start,
        end=end,
        state=_state(end, now),
        act_id=act.act_id,
        needs_verification=rule["needs_verification"],
    )


def _custody_clock(act: ActInputs, rule: dict, now: datetime) -> Clock | None:
    start = _field_datetime(act.fields, "detained_at") or act.signed_at
    if start is None:
        return None
    months = _field_int(act.fields, "term_months") or rule["term_months"]
    local = timezone.localtime(start)
    end = timezone.make_aware(datetime.combine(add_months(local.date(), months), local.time()))
    return Clock(
        kind=Kind.CUSTODY,
        key=f"custody:{act.act_id}",
        article=rule["article"],
        start=start,
        end=end,
        state=_state(end, now),
        act_id=act.act_id,
        needs_verification=rule["needs_verification"],
    )


def case_clocks(term: TermInputs | None, acts: Iterable[ActInputs], now: datetime) -> list[Clock]:
    """All clocks of a case: its term (None once the proceedings are completed), then its acts'."""
    clocks = [term_clock(term, now)] if term is not None else []
    return clocks + act_clocks(acts, now)


def due_within(clocks: Iterable[Clock], now: datetime, hours: int) -> list[Clock]:
    """Clocks overdue or running out within ``hours``, soonest first."""
    horizon = now + timedelta(hours=hours)
    return sorted((c for c in clocks if c.end is not None and c.end <= horizon), key=lambda c: c.end or now)
