"""Who signs an act, in the order the signatures are appended to its PDF (issue #17)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignatureRole(models.TextChoices):
    AUTHOR = "author", _("Prepared and signed")
    APPROVER = "approver", _("Approved")
    PROSECUTOR = "prosecutor", _("Agreed")


ORDER = (SignatureRole.AUTHOR, SignatureRole.APPROVER, SignatureRole.PROSECUTOR)


def signature_field(role: str) -> str:
    return f"Signature-{role}"
