"""Roles of the people who use ecase (DESIGN §1)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INVESTIGATOR = "investigator", _("Investigator")
    SUPERVISOR = "supervisor", _("Supervisor")
    PROSECUTOR = "prosecutor", _("Prosecutor")
    ADMINISTRATOR = "administrator", _("Administrator")


class UnitKind(models.TextChoices):
    REGION = "region", _("Regional department")
    CITY = "city", _("City department")
    DISTRICT = "district", _("District department")
    PROSECUTOR_OFFICE = "prosecutor_office", _("Prosecutor's office")


class ProsecutorLevel(models.TextChoices):
    """The level of a prosecutor's office: how far it may extend a term (УПК РК art. 192, issue #18)."""

    DISTRICT = "district", _("District or city prosecutor's office")
    REGIONAL = "regional", _("Regional prosecutor's office")
    GENERAL = "general", _("Prosecutor General's Office")
