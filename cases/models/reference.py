"""Reference data editable by administrators: articles, terms, act types (shipped in cases/data/)."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import ActKind, Gravity, Intent, ProceedingsForm
from ..gravity import derive_gravity


class LocalisedName:
    """``name`` in the active language: Kazakh for kk, Russian otherwise."""

    def localised(self, field: str) -> str:
        return getattr(self, f"{field}_kk") if get_language() == "kk" else getattr(self, f"{field}_ru")


class CriminalCodeArticle(LocalisedName, models.Model):
    """One part of one article of the Criminal Code; its sanction lives in dated versions.

    The sanction of a part changes with amending laws, and a case is judged by the law in force
    when the act was committed (УК РК art. 5 part 1), so the sanction is not a field of the part
    but of ``CriminalCodeArticleVersion``. ``gravity`` here is the gravity under the latest
    version, kept for lists, search and the API; a case's gravity never comes from it
    (docs/ARCHITECTURE.md, "Law at the time of the act").
    """

    article = models.CharField(max_length=16)
    part = models.PositiveSmallIntegerField(default=1)
    title_ru = models.CharField(max_length=300)
    title_kk = models.CharField(max_length=300)
    gravity = models.PositiveSmallIntegerField(
        choices=Gravity.choices,
        editable=False,
        null=True,
        help_text=_("Gravity under the latest version of the sanction (for lists only)."),
    )
    note = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["article", "part"]
        constraints = [
            models.UniqueConstraint(fields=["article", "part"], name="article_part_unique"),
        ]

    def __str__(self) -> str:
        # In the user's language (issue #16): Kazakh pages show the Kazakh title.
        if get_language() == "kk" and self.title_kk:
            return f"{self.article}-бап {self.part}-бөлік — {self.title_kk}"
        return f"{self.article} ч.{self.part} — {self.title_ru}"

    @property
    def code(self) -> str:
        return f"{self.article}-{self.part}"


class CriminalCodeArticleVersion(models.Model):
    """The sanction of one article part as in force from ``in_force_from`` until the next version.

    A change of the sanction is a new row with its date, never an overwrite: cases registered
    under the earlier law keep the gravity derived from it. A version some case relies on (a case
    qualified under the part whose offence date falls in the version's period) cannot have its
    sanction changed; ``clean`` refuses and tells the administrator to add a new version.
    """

    article = models.ForeignKey(CriminalCodeArticle, on_delete=models.PROTECT, related_name="versions")
    in_force_from = models.DateField(help_text=_("The day this sanction took effect."))
    is_misdemeanour = models.BooleanField(default=False)
    max_imprisonment_months = models.PositiveIntegerField(null=True, blank=True)
    life_imprisonment = models.BooleanField(default=False)
    intent = models.CharField(max_length=16, choices=Intent.choices, default=Intent.INTENTIONAL)
    gravity = models.PositiveSmallIntegerField(choices=Gravity.choices, editable=False)
    # Where the Code itself puts a part in another category than its sanction gives (УК РК art. 11
    # sets the rule; a special norm may except a part from it), the category it says, with that norm.
    gravity_override = models.PositiveSmallIntegerField(
        choices=Gravity.choices,
        null=True,
        blank=True,
        help_text=_("The category the Code sets for this part against its sanction, if it does."),
    )
    override_article = models.CharField(
        max_length=200, blank=True, help_text=_("The article of the Code that makes the exception.")
    )
    amending_law = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("The law that set this sanction, with its date and number."),
    )
    needs_verification = models.BooleanField(
        default=True, help_text=_("The figures or the start date still need checking against the Code.")
    )
    note = models.TextField(blank=True)
    history = HistoricalRecords()

    SANCTION_FIELDS = (
        "article_id",
        "in_force_from",
        "is_misdemeanour",
        "max_imprisonment_months",
        "life_imprisonment",
        "intent",
        "gravity_override",
    )

    class Meta:
        ordering = ["article", "in_force_from"]
        constraints = [
            models.UniqueConstraint(fields=["article", "in_force_from"], name="article_version_date_unique"),
            models.CheckConstraint(
                name="article_version_misdemeanour_has_no_imprisonment",
                condition=models.Q(is_misdemeanour=False)
                | models.Q(max_imprisonment_months__isnull=True, life_imprisonment=False),
            ),
            # An exception is data with its source: no override without the article that makes it.
            models.CheckConstraint(
                name="article_version_override_cites_article",
                condition=models.Q(gravity_override__isnull=True) | ~models.Q(override_article=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article.code} с {self.in_force_from:%d.%m.%Y}"

    @property
    def in_force_until(self) -> date | None:
        """The last day of this version: the day before the next one took effect (None: still in force)."""
        following = (
            CriminalCodeArticleVersion.objects.filter(article_id=self.article_id, in_force_from__gt=self.in_force_from)
            .order_by("in_force_from")
            .values_list("in_force_from", flat=True)
            .first()
        )
        return following - timedelta(days=1) if following else None

    def relied_on_by(self):
        """The cases whose gravity was derived from this version (or would be, were they requalified)."""
        from .case import Case, offence_day

        cases = Case.objects.filter(articles=self.article_id).annotate(offence_on=offence_day())
        cases = cases.filter(offence_on__gte=self.in_force_from)
        until = self.in_force_until
        return cases.filter(offence_on__lte=until) if until else cases

    def clean(self) -> None:
        if self._state.adding or self.pk is None:
            return
        stored = CriminalCodeArticleVersion.objects.filter(pk=self.pk).first()
        if stored is None:
            return
        changed = any(getattr(stored, name) != getattr(self, name) for name in self.SANCTION_FIELDS)
        # The period as stored decides: moving the date must not free a version its cases rely on.
        if changed and stored.relied_on_by().exists():
            raise ValidationError(
                _(
                    "Cases were qualified under this version of the sanction: it cannot be changed. "
                    "Add a new version with the date the change took effect."
                ),
                code="version_in_use",
            )

    def save(self, *args, **kwargs):
        self.gravity = derive_gravity(
            is_misdemeanour=self.is_misdemeanour,
            intent=self.intent,
            max_imprisonment_months=self.max_imprisonment_months,
            life_imprisonment=self.life_imprisonment,
            override=self.gravity_override,
        )
        super().save(*args, **kwargs)
        # The part's display gravity follows its latest version; no case is touched (its gravity
        # changes only by requalification, cases/services/case.py ``case_requalify``).
        article = CriminalCodeArticle.objects.get(pk=self.article_id)
        latest = article.versions.order_by("-in_force_from").values_list("gravity", flat=True).first()
        if article.gravity != latest:
            article.gravity = latest
            article.save(update_fields=["gravity"])  # with its history row, as any reference edit


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
                condition=(
                    models.Q(term_days__isnull=False, term_days__gt=0, term_months__isnull=True)
                    | models.Q(term_days__isnull=True, term_months__isnull=False, term_months__gt=0)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.localised("name") or self.name_ru


class ProceduralActType(LocalisedName, models.Model):
    """A kind of procedural act with its structured fields (a list of field specs in ``fields``)."""

    code = models.SlugField(max_length=64, unique=True)
    name_ru = models.CharField(max_length=300)
    name_kk = models.CharField(max_length=300)
    kind = models.CharField(max_length=16, choices=ActKind.choices)
    cpc_article = models.CharField(max_length=32, blank=True)
    fields = models.JSONField(default=list, blank=True)
    # What an act of this type does to its case once in force (cases/effects.py; issue #18).
    effects = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name_ru"]

    def __str__(self) -> str:
        return self.localised("name") or self.name_ru

    @classmethod
    def draftable(cls) -> models.QuerySet[ProceduralActType]:
        """The types a drafting form or the API may create: in use, and not a prosecutor's decision,
        which only its decision service draws up (cases/services/decisions.py)."""
        return cls.objects.filter(is_active=True).exclude(kind=ActKind.PROSECUTOR_DECISION)

    def field_names(self) -> set[str]:
        return {spec["name"] for spec in self.fields}

    def required_field_names(self) -> set[str]:
        return {spec["name"] for spec in self.fields if spec.get("required")}
