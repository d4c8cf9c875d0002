"""The case status machine as a table: (status, action) → (new status, required case action).

Anything not in the table is refused. ``case_action_refusal`` is the one answer to "may this
user take this step on this case now": ``case_transition`` raises what it returns, and the case
page offers exactly the steps it does not refuse (``open_actions``). The steps of ``DECREE_ACTIONS``
are taken only by an act in force (cases/services/effects.py); the page links them to drafting the act. The right is read from the
actor's grants on the case (``access.allowed_actions``, the rules of ``restrict``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from ecase.errors import NotAllowed

from .access import rules as access
from .access.scope import allowed_actions
from .choices import ActKind, ProceedingsForm
from .choices import CaseAction as A
from .choices import CaseStatus as S
from .models import ProceduralActType

CASE_TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (S.REGISTERED, A.START): (S.INVESTIGATING, access.CHANGE),
    (S.INVESTIGATING, A.INTERRUPT): (S.INTERRUPTED, access.CHANGE),
    (S.INTERRUPTED, A.RESUME): (S.INVESTIGATING, access.CHANGE),
    (S.INVESTIGATING, A.SEND_TO_PROSECUTOR): (S.SENT_TO_PROSECUTOR, access.CHANGE),
    (S.INVESTIGATING, A.TERMINATE): (S.TERMINATED, access.CHANGE),
    # The term may run out of limitation while interrupted: termination from there too.
    (S.INTERRUPTED, A.TERMINATE): (S.TERMINATED, access.CHANGE),
    # The prosecutor returns a case for additional investigation, or cancels a termination;
    # each is their own decision in ecase (access.PROSECUTE, issue #17).
    (S.SENT_TO_PROSECUTOR, A.RETURN): (S.INVESTIGATING, access.PROSECUTE),
    (S.TERMINATED, A.REOPEN): (S.INVESTIGATING, access.PROSECUTE),
    # The prosecutor's indictment, in force, sends the case to court (УПК РК ch. 39; issue #18).
    (S.SENT_TO_PROSECUTOR, A.SEND_TO_COURT): (S.SENT_TO_COURT, access.PROSECUTE),
}

# The steps that are only ever the effect of an act in force (issue #18, cases/effects.py): no page,
# API or service takes them directly. The case page offers to draft the act instead (``decree_steps``).
DECREE_ACTIONS = {A.INTERRUPT, A.RESUME, A.TERMINATE, A.SEND_TO_PROSECUTOR, A.SEND_TO_COURT}

# Actions whose decision must state its reason on the record.
REASON_REQUIRED = {A.INTERRUPT, A.RESUME, A.TERMINATE, A.RETURN, A.REOPEN}
# Actions that must name the legal ground (CPC RK art. 45 for interruption, art. 35 for termination).
GROUND_REQUIRED = {A.INTERRUPT, A.TERMINATE}


def case_action_refusal(case, action: str, *, actor, held: Callable[[], set[str]] | None = None) -> Exception | None:
    """Why ``actor`` may not take ``action`` on ``case`` now, or None when they may.

    A ValidationError: no such step from the case's status; NotAllowed: the step needs a right
    the actor does not hold on the case. ``held`` gives those rights (asked only when the step exists).
    """
    entry = CASE_TRANSITIONS.get((case.status, action))
    if entry is None:
        return ValidationError(
            gettext("A case that is “%(status)s” cannot be moved by “%(action)s”.")
            % {"status": case.get_status_display(), "action": action},
            code="transition",
        )
    if entry[1] not in (held() if held else allowed_actions(actor, case.pk)):
        return NotAllowed(f"{actor} may not {entry[1]} this case", case_id=case.pk)
    return None


def open_actions(case, user, *, held: set[str]) -> list[str]:
    """The steps ``user`` may take on ``case`` now (``held``: their rights on it), in the table's order.

    The case page offers exactly these: the same function ``case_transition`` asks, so the
    decision list cannot offer what the service would refuse.
    """
    return [
        action
        for (source, action) in CASE_TRANSITIONS
        if source == case.status
        and action not in DECREE_ACTIONS
        and case_action_refusal(case, action, actor=user, held=lambda: held) is None
    ]


def decree_types(case=None) -> dict[str, ProceduralActType]:
    """CaseAction → the draftable act type whose effect takes that step (one query).

    Where two types take the same step (a misdemeanour protocol and a report on completion both send
    the case to the prosecutor), a case in the protocol form gets the protocol, any other the other.
    """
    protocol_form = case is not None and case.proceedings_form == ProceedingsForm.PROTOCOL
    found: dict[str, ProceduralActType] = {}
    # Only what the choice and a link's label need: the types' field specs (``fields``, JSON of every
    # form field) were most of this query's cost on each case page.
    candidates = (
        ProceduralActType.draftable().only("pk", "code", "name_ru", "name_kk", "kind", "effects").order_by("pk")
    )
    for act_type in sorted(candidates, key=lambda t: ((t.kind == ActKind.PROTOCOL) != protocol_form, t.pk)):
        for effect in act_type.effects:
            if effect.get("type") == "case_status":
                found.setdefault(effect["action"], act_type)
    return found


def decree_needed(action: str, case=None) -> str:
    """The refusal of a direct step that only an act in force takes, naming the act to draft."""
    act_type = decree_types(case).get(action)
    return gettext("“%(action)s” is the effect of an act in force: draft “%(type)s”, have it signed and agreed.") % {
        "action": A(action).label,
        "type": act_type or gettext("the act that decides it"),
    }


def decree_steps(case, user, *, held: set[str]) -> list[tuple[str, ProceduralActType]]:
    """The decree steps from the case's status whose act ``user`` may draft (CHANGE), with its act type:
    the case page links each to the drafting form of that type."""
    if access.CHANGE not in held:
        return []
    types = decree_types(case)
    return [
        (action, types[action])
        for (source, action) in CASE_TRANSITIONS
        if source == case.status and action in DECREE_ACTIONS and action in types
    ]
