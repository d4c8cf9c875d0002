"""Persons as one case records them, their procedural roles in it, and explicit links between cases.

What a case records about a person (names as typed, birth date, address, phone) belongs to that
case (DESIGN §4): a ``Person`` row belongs to one case, and the same IIN in another case is
another row. That one real person appears in several cases is stated explicitly, by someone who
sees both cases, as a ``PersonLink`` (cases.services.participants.person_link).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ecase.history import CaseDataModel, Withdrawable, case_history

from ..choices import ParticipantRole, Sex
from ..iin import parse_iin, validate_iin
from ..search_text import fold
from .case import CaseChildQuerySet, CaseScopedQuerySet

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Cyrillic names, Kazakh letters included; hyphens, apostrophes and spaces inside double names.
cyrillic_name = RegexValidator(
    r"^[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+(?:[ '\-][А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+)*$",
    _("Write the name in Cyrillic letters."),
)
phone_number = RegexValidator(r"^\+?[0-9 ()\-]{7,20}$", _("Enter a phone number, e.g. +7 701 123 45 67."))


class Person(CaseDataModel):
    """A natural person as one case records them. The IIN, when known, is unique within the case;
    birth date and sex must agree with it. Seen only by those who may see the case."""

    objects: ClassVar = CaseChildQuerySet.as_manager()
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="persons",
        null=True,
        help_text=_("The case whose record of the person this is."),
    )
    # NULL, not "": the unique constraint on (case, iin) must not count persons without one.
    iin = models.CharField(  # noqa: DJ001
        "IIN",
        max_length=12,
        null=True,
        blank=True,
        validators=[validate_iin],
        help_text=_("Empty only for a person without an IIN (e.g. a foreign citizen)."),
    )
    last_name = models.CharField(max_length=100, validators=[cyrillic_name])
    first_name = models.CharField(max_length=100, validators=[cyrillic_name])
    middle_name = models.CharField(max_length=100, blank=True, validators=[cyrillic_name])
    birth_date = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    citizenship = models.CharField(max_length=64, default="KZ")
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=32, blank=True, validators=[phone_number])
    # "last first middle" folded (cases/search_text.py), kept by save(): the name search compares
    # it by prefix on both databases. Derived data, so not in history (the names are).
    search_name = models.CharField(max_length=310, editable=False, default="")
    history = case_history(excluded_fields=["search_name"])

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                name="person_iin_12_digits", condition=models.Q(iin__isnull=True) | models.Q(iin__regex=r"^[0-9]{12}$")
            ),
            models.CheckConstraint(name="person_sex_valid", condition=models.Q(sex__in=Sex.values)),
            models.UniqueConstraint(
                fields=["case", "iin"], condition=models.Q(iin__isnull=False), name="person_iin_once_per_case"
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="person_name"),
            # varchar_pattern_ops: PostgreSQL uses it for LIKE 'x%' whatever the collation (SQLite ignores it).
            models.Index(fields=["search_name"], name="person_search_name", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["iin"], name="person_iin"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.refresh_search_name()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"last_name", "first_name", "middle_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    def refresh_search_name(self) -> None:
        """Also for writers that bypass save() (the demo's bulk loader)."""
        self.search_name = fold(self.full_name)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    def clean(self) -> None:
        if self.iin == "":
            self.iin = None
        if not self.iin or not self.birth_date:
            return
        try:
            facts = parse_iin(self.iin)
        except ValidationError:
            return  # the field validator reports it
        errors: dict[str, StrOrPromise] = {}
        if facts.birth_date != self.birth_date:
            errors["birth_date"] = _("The birth date does not match the IIN (the IIN says %(date)s).") % {
                "date": facts.birth_date.strftime("%d.%m.%Y")
            }
        if self.sex and facts.sex != self.sex:
            errors["sex"] = _("The sex does not match the IIN's 7th digit.")
        if errors:
            raise ValidationError(errors)


class Participant(Withdrawable, CaseDataModel):
    """A person's procedural role in one case; a change of role is an update, kept in history."""

    objects: ClassVar = CaseChildQuerySet.as_manager()
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="participants")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(max_length=32, choices=ParticipantRole.choices)
    role_since = models.DateField(help_text=_("Date the procedural role was given."))
    note = models.TextField(blank=True)
    history = case_history()

    class Meta:
        ordering = ["role", "id"]
        constraints = [
            *Withdrawable.Meta.constraints,
            models.CheckConstraint(name="participant_role_valid", condition=models.Q(role__in=ParticipantRole.values)),
            models.UniqueConstraint(
                fields=["case", "person", "role"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="participant_role_once_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()}"

    def clean(self) -> None:
        if self.case_id and self.person_id and self.person.case_id != self.case_id:
            # A person row is what this case records; another case's record is never attached here.
            raise ValidationError({"person": _("This person is recorded in another case.")})
        event_date = self.case.event_date if self.case_id else None
        if event_date and self.person_id and self.person.birth_date > event_date:
            raise ValidationError({"person": _("The person was born after the offence.")})
        if self.role_since and self.case_id and self.role_since < timezone.localdate(self.case.registered_at):
            raise ValidationError({"role_since": _("A role cannot be given before the case was registered.")})


class PersonLinkQuerySet(CaseScopedQuerySet):
    def restrict(self, user, action: str = "view") -> Self:
        """A link is seen only by someone who may see both of its cases."""
        from .case import Case

        visible = Case.objects.restrict(user, action)
        return self.filter(person__case__in=visible, other__case__in=visible)


class PersonLink(CaseDataModel):
    """Two persons of two cases are one real person: stated by someone who sees both cases, with a reason.

    Neither row is changed or merged: each case keeps what it recorded; the link only lets those
    who see both cases find the person's roles together.
    """

    objects: ClassVar = PersonLinkQuerySet.as_manager()
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="links_out")
    other = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="links_in")
    reason = models.TextField()
    linked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)
    history = case_history()

    class Meta:
        constraints = [
            # One row per pair, stored in id order, so (a, b) and (b, a) are the same link.
            models.CheckConstraint(name="person_link_ordered_pair", condition=models.Q(person__lt=models.F("other"))),
            models.UniqueConstraint(fields=["person", "other"], name="person_link_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} = {self.other_id}"
