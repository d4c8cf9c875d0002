"""The act lifecycle as a table: (status, action) → (new status, required right).

draft → submitted → approved | returned → signed; a returned act is revised back to a draft.
``sign`` is the system's step after rendering and is open to no person: its right is
``SYSTEM``, held only by the rendering worker's account. ``supersede`` leaves the signed act
as it is (the database refuses any change of it) and drafts the correction that replaces it;
"superseded" is read from the correction's ``supersedes`` link.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .access import rules as access
from .choices import ActStatus as S

SYSTEM = "system"  # the right of the rendering worker (cases.system_actor), never of a person


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
