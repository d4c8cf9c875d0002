"""The act lifecycle, generated from the act type's requirements (issue #17).

The author **signs** a draft. Then, where the requirements ask for it (cases/models/requirements.py),
the head of the unit **approves** it (or **returns** it with reasons) and the procedural
prosecutor **agrees** to it (or **refuses** it with reasons). A returned or refused act goes back
to its author, who **revises** it into a new draft. Once every decision is taken the act is
``approved`` while the workers append the last signatures to its PDF; the rendering worker's
**seal** (right ``SYSTEM``, held by no person) then makes it ``signed``. Whether it is in force
is derived (``ProceduralAct.in_force``), never set. ``supersede`` leaves a signed act as it is and
drafts the correction that replaces it.

There is no hand-written table per act type: ``transitions_for`` builds one for each of the four
shapes a requirement can have (approval yes/no × agreement yes/no) and each right its author
signs with, so adding an act type or a new version of the law changes the workflow without code.
The author's right follows the act type's kind (``AUTHOR_RIGHT``): an investigator's act is
signed with ``change``; the prosecutor's own decision (kind ``prosecutor``) with ``prosecute``,
the right the prosecutor holds instead of ``change`` — so the prosecutor signs decisions without
ever gaining the right to write case content.

``act_action_refusal`` is the one answer to "may this user take this step on this act now"; the
service raises what it returns, and the pages and the API offer exactly the steps it does not
refuse (``act_actions``), so what is shown and what is allowed cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ecase.errors import NotAllowed

from .access import rules as access
from .access.rules import SYSTEM  # the right of the rendering worker (cases.system_actor), never of a person
from .access.scope import allowed_actions
from .choices import ActKind
from .choices import ActStatus as S
from .signing.roles import SignatureRole


class ActAction(models.TextChoices):
    SIGN = "sign", _("Sign")
    APPROVE = "approve", _("Approve")
    RETURN = "return", _("Return for rework")
    AGREE = "agree", _("Agree")
    REFUSE = "refuse", _("Refuse agreement")
    REVISE = "revise", _("Revise")
    SEAL = "seal", _("Seal the signed PDF")
    SUPERSEDE = "supersede", _("Supersede with a correction")
    # Recorded before issue #17 only: the author's step was a submission, not a signature.
    SUBMIT = "submit", _("Submit for approval")


# Who signs at each step that signs, and with which right the step is taken.
SIGNING_STEPS: dict[str, SignatureRole] = {
    ActAction.SIGN: SignatureRole.AUTHOR,
    ActAction.APPROVE: SignatureRole.APPROVER,
    ActAction.AGREE: SignatureRole.PROSECUTOR,
}
AUTHOR_ONLY = {ActAction.SIGN, ActAction.REVISE}
# УПК РК: the head of the unit decides on another's act, never on their own.
NOT_BY_AUTHOR = {ActAction.APPROVE, ActAction.RETURN, ActAction.AGREE, ActAction.REFUSE}
# A return and a refusal say what to rework; a correction says what was wrong with the signed act.
REASON_REQUIRED = {ActAction.RETURN, ActAction.REFUSE, ActAction.SUPERSEDE}
# The steps people take (the API's and the pages' actions); ``seal`` is the worker's, ``submit`` history.
PERSON_ACTIONS = [a for a in ActAction if a not in (ActAction.SEAL, ActAction.SUBMIT)]

Table = dict[tuple[str, str], tuple[str, str]]

# The right with which an act's author signs it, by the kind of its type; ``change`` otherwise.
AUTHOR_RIGHT: dict[str, str] = {ActKind.PROSECUTOR_DECISION: access.PROSECUTE}


def author_right(act_type) -> str:
    return AUTHOR_RIGHT.get(act_type.kind, access.CHANGE)


@cache
def transitions_for(needs_approval: bool, needs_agreement: bool, author: str = access.CHANGE) -> Table:
    """(status, action) → (new status, required right) for one shape of requirements and author's right.

    An author who signs with another right than ``change`` (the prosecutor) has no revision and no
    correction: their decision is created and signed in one step by its service, and a correction
    would be a draft somebody edits in a form — an investigator (who holds ``change``) must never
    supersede the prosecutor's decision, and the prosecutor has no form that writes an act.
    """
    # The decisions in the order the law takes them; each one's status is "waiting for it".
    waits = [(S.SUBMITTED, ActAction.APPROVE, ActAction.RETURN, S.RETURNED, access.APPROVE)] * needs_approval + [
        (S.AWAITING_AGREEMENT, ActAction.AGREE, ActAction.REFUSE, S.REFUSED, access.PROSECUTE)
    ] * needs_agreement
    table: Table = {}
    after_author = waits[0][0] if waits else S.APPROVED
    table[(S.DRAFT, ActAction.SIGN)] = (after_author, author)
    for i, (status, decide, reject, rejected, right) in enumerate(waits):
        following = waits[i + 1][0] if i + 1 < len(waits) else S.APPROVED
        table[(status, decide)] = (following, right)
        table[(status, reject)] = (rejected, right)
    if author == access.CHANGE:
        for rejected in (S.RETURNED, S.REFUSED):
            table[(rejected, ActAction.REVISE)] = (S.DRAFT, access.CHANGE)
    table[(S.APPROVED, ActAction.SEAL)] = (S.SIGNED, SYSTEM)
    if author == access.CHANGE:
        table[(S.SIGNED, ActAction.SUPERSEDE)] = (S.SIGNED, access.CHANGE)
    return table


def act_table(act) -> Table:
    """The transitions of ``act``: from the requirements it was signed under (or those in force)."""
    requirement = act.requirements()
    if requirement is None:  # an act type the law table does not cover: only drafting is possible
        return {}
    return transitions_for(*requirement.shape(), author_right(act.act_type))


def _once(compute: Callable[[], set[str]]) -> Callable[[], set[str]]:
    """``compute`` run at most once, and only if asked: a refusal by the table needs no query."""
    memo: list[set[str]] = []

    def held() -> set[str]:
        if not memo:
            memo.append(compute())
        return memo[0]

    return held


def act_action_refusal(
    act, action: str, *, actor, held: Callable[[], set[str]] | None = None, table: Table | None = None
) -> Exception | None:
    """Why ``actor`` may not take ``action`` on ``act`` now, or None when they may.

    ``held`` gives the actor's grants on the act's case (``access.allowed_actions``), asked for
    only when the table allows the step. A ValidationError means the step does not exist from
    here (status, requirements, withdrawn, already superseded); NotAllowed, that it is not this
    actor's.
    """
    from .system_actor import is_system_actor

    entry = (table if table is not None else act_table(act)).get((act.status, action))
    if entry is None or act.is_withdrawn:
        return ValidationError(
            gettext("An act that is “%(status)s” cannot be moved by “%(action)s”.")
            % {"status": act.get_status_display(), "action": _label(action)},
            code="transition",
        )
    right = entry[1]
    if right == SYSTEM:
        if not is_system_actor(actor):
            return NotAllowed("only the rendering worker seals an act", case_id=act.case_id)
    else:
        # The author rules first: they need no query.
        if action in AUTHOR_ONLY and act.author_id != actor.pk:
            return NotAllowed("only the author signs or revises an act", case_id=act.case_id)
        if action in NOT_BY_AUTHOR and act.author_id == actor.pk:
            return NotAllowed("the author cannot decide on their own act", case_id=act.case_id)
        held = held or _once(lambda: allowed_actions(actor, act.case_id))
        if right not in held():
            return NotAllowed(f"{actor} may not {right} this case", case_id=act.case_id)
    # The reverse one-to-one: selected with the act by a list (no query), else one query here.
    if action == ActAction.SUPERSEDE and hasattr(act, "superseded_by"):
        return ValidationError(
            gettext("This act is already superseded by act №%(n)s.") % {"n": act.superseded_by.number},
            code="transition",
        )
    return None


def _label(action: str) -> str:
    return str(ActAction(action).label) if action in ActAction.values else action


def act_actions(act, user, *, held: Callable[[], set[str]] | None = None) -> list[str]:
    """The steps ``user`` may take on ``act`` now: the buttons of the act page, the API's ``actions``.

    ``held``: the user's rights on the act's case, when the caller (a list of one case's acts) has them.
    """
    held = held or _once(lambda: allowed_actions(user, act.case_id))
    table = act_table(act)
    return [
        action
        for (status, action) in table
        if status == act.status and act_action_refusal(act, action, actor=user, held=held, table=table) is None
    ]
