"""Who signs an act, in which capacity, and where each signature lives in the PDF.

An act carries one signature per role, in this order (DESIGN §5): its author prepares and signs
it, the head of unit approves it where the Code asks, the procedural prosecutor agrees to it
where the Code asks. Each signature sits in its own field, named after its role, so a verifier
reads the role from the file itself and never from the database.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SignatureRole(models.TextChoices):
    # The headings of the blocks of a signed document (ERDR: "Документ подготовил и подписал" …).
    AUTHOR = "author", pgettext_lazy("signature role", "Prepared and signed")
    APPROVER = "approver", pgettext_lazy("signature role", "Approved")
    PROSECUTOR = "prosecutor", pgettext_lazy("signature role", "Agreed")


ORDER = (SignatureRole.AUTHOR, SignatureRole.APPROVER, SignatureRole.PROSECUTOR)

FIELD_PREFIX = "Signature-"
# Acts signed before roles existed carry the approver's signature in this one field.
LEGACY_FIELDS = {"ApproverSignature": SignatureRole.APPROVER}


def signature_field(role: str) -> str:
    """The PDF signature field of ``role``: ``Signature-author`` etc."""
    return FIELD_PREFIX + SignatureRole(role).value


def field_role(field_name: str | None) -> str:
    """The role a signature field stands for, or "" for a field this system never writes."""
    if field_name in LEGACY_FIELDS:
        return LEGACY_FIELDS[field_name].value
    if field_name and field_name.startswith(FIELD_PREFIX):
        role = field_name[len(FIELD_PREFIX) :]
        if role in SignatureRole.values:
            return role
    return ""


def role_label(role: str) -> str:
    """The role's translated heading ("Prepared and signed" …), or "Signature" for an unknown one."""
    return str(SignatureRole(role).label) if role in SignatureRole.values else str(_("Signature"))


def act_signature_roles(roles) -> list[str]:
    """``roles`` checked as an act's signers: known roles, each once, in ORDER, the author first."""
    values = [SignatureRole(role).value for role in roles]
    if values != [role.value for role in ORDER if role.value in values] or values[:1] != [SignatureRole.AUTHOR]:
        raise ValueError(
            f"an act is signed by its author first, then in the order {[r.value for r in ORDER]}: {values}"
        )
    return values
