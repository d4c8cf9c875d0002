"""Reference data editable by administrators: articles, terms, act types (shipped in cases/data/)."""
from __future__ import annotations

from django.db import models
from django.utils.translation import get_language, gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import ActKind, Gravity, Intent, ProceedingsForm
from ..gravity import derive_gravity


class LocalisedName:
    """``name`` in the active language: Kazakh for kk, Russian otherwise."""

    def localised(self, field: str) -> str:
        return getattr(self, f"{field}_kk") if get_language() == "kk" else getattr(self, f"{field}_ru")


class CriminalCodeArticle(LocalisedName, models.Model):
    """One part of one article of the Criminal Code; ``gravity`` is derived from the sanction on save."""

    article = models.CharField(max_length=16)
    part = models.PositiveSmallIntegerField(default=1)
    title_ru = models.CharField(max_length=300)
    title_kk = models.CharField(max_length=300)
    is_misdemeanour = models.BooleanField(default=False)
    max_imprisonment_months = models.PositiveIntegerField(null=True, blank=True)
    life_imprisonment = models.BooleanField(default=False)
    intent = models.CharField(max_length=16, choices=Intent.choices, default=Intent.INTENTIONAL)
    gravity = models.PositiveSmallIntegerField(choices=Gravity.choices, editable=False)
    needs_verification = models.BooleanField(
        default=True, help_text=_("The figures still need checking against the current Code.")
    )
    note = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["article", "part"]
        constraints = [
            models.UniqueConstraint(fields=["article", "part"], name="article_part_unique"),
            models.CheckConstraint(
                name="article_misdemeanour_has_no_imprisonment",
                condition=models.Q(is_misdemeanour=False)
                | models.Q(max_imprisonment_months__isnull=True, life_imprisonment=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article} ч.{self.part} — {self.title_ru}"

    @property
    def code(self) -> str:
        return f"{self.article}-{self.part}"

    def save(self, *args, **kwargs):
        self.gravity = derive_gravity(
            is_misdemeanour=self.is_misdemeanour,
            intent=self.intent,
            max_imprisonment_months=self.max_imprisonment_months,
            life_imprisonment=self.life_imprisonment,
        )
        super().save(*args, **kwargs)


class ProceedingsTerm(LocalisedName, models.Model):
    """Base term of pre-trial proceedings for one form; exactly one of days or months is set."""

    form = models.CharField(max_length=32, choices=ProceedingsForm.choices, unique=True)
    name_ru = models.CharField(max_length=200)
    name_kk = models.CharField(max_length=200)
    term_days = models.PositiveIntegerField(null=True, blank=True)
    term_months = models.PositiveIntegerField(null=True, blank=True)
    cpc_article = models.CharField(max_length=32, blank=True)
    needs_verification = models.BooleanField(default=True)
    note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="term_days_xor_months",
                condition=(models.Q(term_days__isnull=False, term_days__gt=0, term_months__isnull=True)
                           | models.Q(term_days__isnull=True, term_months__isnull=False, term_months__gt=0)),
            )
        ]

    def __str__(self) -> str:
        return self.name_ru


class ProceduralActType(LocalisedName, models.Model):
    """A kind of procedural act with its structured fields (a list of field specs in ``fields``)."""

    code = models.SlugField(max_length=64, unique=True)
    name_ru = models.CharField(max_length=300)
    name_kk = models.CharField(max_length=300)
    kind = models.CharField(max_length=16, choices=ActKind.choices)
    cpc_article = models.CharField(max_length=32, blank=True)
    requires_approval = models.BooleanField(default=True)
    fields = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name_ru"]

    def __str__(self) -> str:
        return self.name_ru

    def field_names(self) -> set[str]:
        return {spec["name"] for spec in self.fields}

    def required_field_names(self) -> set[str]:
        return {spec["name"] for spec in self.fields if spec.get("required")}
