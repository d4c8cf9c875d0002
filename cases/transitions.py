"""The case status machine as a table: (status, action) → (new status, required case action).

Anything not in the table is refused. The required action is checked through
``Case.objects.restrict(actor, action)``, the same path as every read.
"""

from __future__ import annotations

from .access import rules as access
from .choices import CaseAction as A
from .choices import CaseStatus as S

CASE_TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (S.REGISTERED, A.START): (S.INVESTIGATING, access.CHANGE),
    (S.INVESTIGATING, A.INTERRUPT): (S.INTERRUPTED, access.CHANGE),
    (S.INTERRUPTED, A.RESUME): (S.INVESTIGATING, access.CHANGE),
    (S.INVESTIGATING, A.SEND_TO_PROSECUTOR): (S.SENT_TO_PROSECUTOR, access.CHANGE),
    (S.INVESTIGATING, A.TERMINATE): (S.TERMINATED, access.CHANGE),
    # The term may run out of limitation while interrupted: termination from there too.
    (S.INTERRUPTED, A.TERMINATE): (S.TERMINATED, access.CHANGE),
    # The prosecutor returns a case for additional investigation, or cancels a termination;
    # the supervisor records that decision (access.PROSECUTE).
    (S.SENT_TO_PROSECUTOR, A.RETURN): (S.INVESTIGATING, access.PROSECUTE),
    (S.TERMINATED, A.REOPEN): (S.INVESTIGATING, access.PROSECUTE),
}

# Actions whose decision must state its reason on the record.
REASON_REQUIRED = {A.INTERRUPT, A.RESUME, A.TERMINATE, A.RETURN, A.REOPEN}
# Actions that must name the legal ground (CPC RK art. 45 for interruption, art. 35 for termination).
GROUND_REQUIRED = {A.INTERRUPT, A.TERMINATE}


def open_actions(status: str, held: set[str]) -> list[str]:
    """The actions the table allows from ``status`` to someone holding ``held`` rights.

    The case page offers exactly these, read from the same table ``case_transition`` checks,
    so the decision list cannot offer what the service would refuse.
    """
    return [
        action for (source, action), (_target, right) in CASE_TRANSITIONS.items() if source == status and right in held
    ]
