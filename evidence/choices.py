"""Statuses and kinds of evidence."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EvidenceKind(models.TextChoices):
    PHYSICAL = "physical", _("Physical evidence")
    DOCUMENT = "document", _("Document")
    DIGITAL = "digital", _("Digital evidence")


class EvidenceStatus(models.TextChoices):
    SEIZED = "seized", _("Seized")
    IN_STORAGE = "in_storage", _("In storage")
    AT_EXPERTISE = "at_expertise", _("Sent for expertise")
    RETURNED_TO_OWNER = "returned_to_owner", _("Returned to the owner")
    TRANSFERRED_TO_COURT = "transferred_to_court", _("Transferred with the case")
    DESTROYED = "destroyed", _("Destroyed by decision")


class UploadStatus(models.TextChoices):
    """A resumable upload's life (evidence/uploads.py); the row stays, whatever the end."""

    OPEN = "open", _("In progress")
    FINISHED = "finished", _("Finished")
    TERMINATED = "terminated", _("Cancelled")
    REFUSED = "refused", _("Refused")
    EXPIRED = "expired", _("Expired")
