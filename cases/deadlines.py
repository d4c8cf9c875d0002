"""The term of pre-trial proceedings: base term by form, plus extensions, plus interrupted days.

Pure functions of dates; the models keep the inputs (ProceedingsTerm, DeadlineExtension,
Interruption) and ``Case.deadline`` stores the result so lists can filter on it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """Calendar months; the 31st plus one month is the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None  # None: still running


def compute_deadline(
    *,
    start: date,
    term_days: int | None,
    term_months: int | None,
    extension_days: Iterable[int],
    interruptions: Iterable[Period],
) -> date | None:
    """Last day of the term, or None while an interruption is open (the clock stands still)."""
    periods = list(interruptions)
    closed = [(p.start, p.end) for p in periods if p.end is not None]
    if len(closed) < len(periods):
        return None
    base = add_months(start, term_months) if term_months else start + timedelta(days=term_days or 0)
    # CPC RK: the time during which proceedings were interrupted is not counted in the term.
    stopped = sum((end - begin).days for begin, end in closed)
    return base + timedelta(days=sum(extension_days) + stopped)
