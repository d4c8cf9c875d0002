"""The act lifecycle as a table: (status, action) → (new status, required case action).

draft → submitted → approved | returned → signed; a returned act is revised back to a draft.
``sign`` is the system's step after rendering (issue #5) and is not open to people.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from . import access
from .choices import ActStatus as S


class ActAction(models.TextChoices):
    SUBMIT = "submit", _("Submit for approval")
    APPROVE = "approve", _("Approve")
    RETURN = "return", _("Return for rework")
    REVISE = "revise", _("Revise")


ACT_TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (S.DRAFT, ActAction.SUBMIT): (S.SUBMITTED, access.CHANGE),
    (S.SUBMITTED, ActAction.APPROVE): (S.APPROVED, access.APPROVE),
    (S.SUBMITTED, ActAction.RETURN): (S.RETURNED, access.APPROVE),
    (S.RETURNED, ActAction.REVISE): (S.DRAFT, access.CHANGE),
}
AUTHOR_ONLY = {ActAction.SUBMIT, ActAction.REVISE}
REASON_REQUIRED = {ActAction.RETURN}
