"""The act lifecycle as a table: (status, action) → (new status, required right).

draft → submitted → approved | returned → signed; a returned act is revised back to a draft.
``sign`` is the system's step after rendering and is open to no person: its right is
``SYSTEM``, held only by the rendering worker's account. ``supersede`` leaves the signed act
as it is (the database refuses any change of it) and drafts the correction that replaces it;
"superseded" is read from the correction's ``supersedes`` link.

``act_action_refusal`` is the one answer to "may this user take this step on this act now" (the
right from the table, author-only and not-by-author, the act's status and state); the service
raises what it returns and the pages and the API list as buttons / ``actions`` exactly the steps
it does not refuse (``act_actions``), so what is shown and what is allowed cannot drift. What the
user types with the step (a reason, the worker's hash) is checked by the service.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ecase.errors import NotAllowed

from .access import rules as access
from .access.rules import SYSTEM  # the right of the rendering worker (cases.system_actor), never of a person
from .access.scope import allowed_actions
from .choices import ActStatus as S


class ActAction(models.TextChoices):
    SUBMIT = "submit", _("Submit for approval")
    APPROVE = "approve", _("Approve")
    RETURN = "return", _("Return for rework")
    REVISE = "revise", _("Revise")
    SIGN = "sign", _("Sign")
    SUPERSEDE = "supersede", _("Supersede with a correction")


ACT_TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (S.DRAFT, ActAction.SUBMIT): (S.SUBMITTED, access.CHANGE),
    (S.SUBMITTED, ActAction.APPROVE): (S.APPROVED, access.APPROVE),
    (S.SUBMITTED, ActAction.RETURN): (S.RETURNED, access.APPROVE),
    (S.RETURNED, ActAction.REVISE): (S.DRAFT, access.CHANGE),
    (S.APPROVED, ActAction.SIGN): (S.SIGNED, SYSTEM),
    (S.SIGNED, ActAction.SUPERSEDE): (S.SIGNED, access.CHANGE),
}
AUTHOR_ONLY = {ActAction.SUBMIT, ActAction.REVISE}
# CPC: the head of the investigation unit decides on another's act, never on their own.
NOT_BY_AUTHOR = {ActAction.APPROVE, ActAction.RETURN}
# A return says what to rework; a correction says what was wrong with the signed act.
REASON_REQUIRED = {ActAction.RETURN, ActAction.SUPERSEDE}


def _once(compute: Callable[[], set[str]]) -> Callable[[], set[str]]:
    """``compute`` run at most once, and only if asked: a refusal by the table needs no query."""
    memo: list[set[str]] = []

    def held() -> set[str]:
        if not memo:
            memo.append(compute())
        return memo[0]

    return held


def act_action_refusal(act, action: str, *, actor, held: Callable[[], set[str]] | None = None) -> Exception | None:
    """Why ``actor`` may not take ``action`` on ``act`` now, or None when they may.

    ``held`` gives the actor's grants on the act's case (``access.allowed_actions``), asked for
    only when the table allows the step. A ValidationError means the step does not exist from
    here (status, withdrawn, already superseded); NotAllowed, that it is not this actor's.
    """
    from .models import ProceduralAct
    from .system_actor import is_system_actor

    entry = ACT_TRANSITIONS.get((act.status, action))
    if entry is None or act.is_withdrawn:
        return ValidationError(
            gettext("An act that is “%(status)s” cannot be moved by “%(action)s”.")
            % {"status": act.get_status_display(), "action": action},
            code="transition",
        )
    right = entry[1]
    if right == SYSTEM:
        if not is_system_actor(actor):
            return NotAllowed("only the rendering worker signs an act", case_id=act.case_id)
    else:
        # The author rules first: they need no query.
        if action in AUTHOR_ONLY and act.author_id != actor.pk:
            return NotAllowed("only the author submits or revises an act", case_id=act.case_id)
        if action in NOT_BY_AUTHOR and act.author_id == actor.pk:
            return NotAllowed("the author cannot approve or return their own act", case_id=act.case_id)
        held = held or _once(lambda: allowed_actions(actor, act.case_id))
        if right not in held():
            return NotAllowed(f"{actor} may not {right} this case", case_id=act.case_id)
    if action == ActAction.SUPERSEDE and ProceduralAct.objects.filter(supersedes=act).exists():
        return ValidationError(
            gettext("This act is already superseded by act №%(n)s.") % {"n": act.superseded_by.number},
            code="transition",
        )
    return None


def act_actions(act, user) -> list[str]:
    """The steps ``user`` may take on ``act`` now: the buttons of the act page, the API's ``actions``."""
    held = _once(lambda: allowed_actions(user, act.case_id))
    return [
        action
        for (status, action) in ACT_TRANSITIONS
        if status == act.status and act_action_refusal(act, action, actor=user, held=held) is None
    ]
