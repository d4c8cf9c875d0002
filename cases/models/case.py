"""The criminal case, its registration counter, its term and the object permissions on it."""

from __future__ import annotations

from typing import ClassVar, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from ecase.history import CaseDataModel, CaseDataQuerySet, case_history

from ..choices import CaseStatus, Gravity, ProceedingsForm


class RegistrationSequence(models.Model):
    """Last issued sequence number per unit and year; rows are locked while a number is issued."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.year}: {self.last}"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="registration_sequence_unique")]


class CaseScopedQuerySet(CaseDataQuerySet):
    """A query set the one access path can narrow: ``restrict(user, action)`` is what ``user`` may ``action``.

    The base views of the pages and of the API, and ``cases.access.locked``, take only these."""

    def restrict(self, user, action: str = "view") -> Self:
        raise NotImplementedError(f"{type(self).__name__} does not say how it is restricted")


class CaseQuerySet(CaseScopedQuerySet):
    def restrict(self, user, action: str = "view") -> Self:
        """The cases ``user`` may ``action``: the one read path of case data (DESIGN §4).

        Only object grants count, and only those the user's role can hold; the rules and the
        query's shape are ``cases.access.scope.restrict``'s.
        """
        from ..access.scope import restrict

        return restrict(self, user, action)


class CaseChildQuerySet(CaseScopedQuerySet):
    """Query set of a model that belongs to a case through ``case_path``; access inherits from the case.

    ``case_path`` is the one declaration of the way to the case (read by ``cases.access.objects``)."""

    case_path = "case"

    def restrict(self, user, action: str = "view") -> Self:
        return self.filter(**{f"{self.case_path}__in": Case.objects.restrict(user, action)})


def offence_day():
    """The day whose law qualifies the case, as a query expression (see ``Case.offence_on``)."""
    return Coalesce("event_date", TruncDate("registered_at"))


POINT_RE = r"^[1-9][0-9]?(-[1-9])?$"


class CaseArticle(models.Model):  # defined before Case: simple-history reads the through model as Case is built
    """One article part of a case's qualification, with the point (пункт) when the part has points.

    The point is on the link, not a reference row: the sanction (and so the gravity) belongs to the
    part and stays versioned per part (``CriminalCodeArticleVersion``), whatever point is charged.
    The table is the one Django created for the plain many-to-many (migration 0016 keeps it); the
    history of the case snapshots its rows with the point (ecase/history.py).
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE)
    article = models.ForeignKey(
        "cases.CriminalCodeArticle", on_delete=models.CASCADE, db_column="criminalcodearticle_id"
    )
    point = models.CharField(  # noqa: DJ001 -- null is "no point": the rows existing before 0016 have none
        max_length=8,
        null=True,
        blank=True,
        validators=[RegexValidator(POINT_RE, _("A point is a number, such as 4 or 3-1."))],
        help_text=_("The point (пункт) of the part, such as 4 in п. 4 ч. 2 ст. 190; null when none."),
    )

    class Meta:
        db_table = "cases_case_articles"
        # As Django made it for the plain many-to-many: the index exists since migration 0001.
        unique_together = [("case", "article")]

    def __str__(self) -> str:
        from ..qualification import qualification_label

        return qualification_label(self.article, self.point)


def _history_name(name: str) -> str:
    return "HistoricalCase_articles" if name == "CaseArticle" else f"Historical{name}"


class Case(CaseDataModel):
    """A criminal case (a record of the Unified Register of Pre-trial Investigations, ERDR)."""

    registration_number = models.CharField(max_length=64, unique=True, editable=False)
    registered_at = models.DateTimeField()
    event_date = models.DateField(null=True, blank=True, help_text=_("Date of the offence, when known."))
    # The qualification: article parts with the point (пункт) of each, where the part has points.
    articles = models.ManyToManyField("cases.CriminalCodeArticle", through=CaseArticle, related_name="cases")
    # Derived from the article versions in force on ``offence_on`` at registration and at
    # requalification only (cases/services): never by an edit of the case or of reference data.
    gravity = models.PositiveSmallIntegerField(choices=Gravity.choices, editable=False)
    proceedings_form = models.CharField(max_length=32, choices=ProceedingsForm.choices)
    status = models.CharField(max_length=32, choices=CaseStatus.choices, default=CaseStatus.REGISTERED)
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="cases")
    # The unit's first two ancestors (``Unit.scope_ids``), set when the case is saved first; a case's
    # unit never changes (cases/services/case.py ``_UNCHANGED_BY_UPDATE``). A supervisor's group
    # visibility — the unit's subtree, grave cases left out — is read from them by an index
    # (cases/access/scope.py); derived data, so not in the case's history.
    region_unit = models.ForeignKey(
        "accounts.Unit", null=True, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    district_unit = models.ForeignKey(
        "accounts.Unit", null=True, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    lead_investigator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_cases")
    group = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="group_cases",
        help_text=_("Investigative group besides the lead investigator."),
    )
    prosecutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="prosecuted_cases"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervised_cases",
        help_text=_("Explicitly assigned supervisor; the only one who sees a grave case."),
    )
    plot = models.TextField(help_text=_("The plot (фабула): what happened, as registered."))
    deadline = models.DateField(null=True, blank=True, help_text=_("Empty while the term is interrupted."))
    version = models.PositiveIntegerField(default=1, help_text=_("Raised by every change: refuses stale edits."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The link table's history keeps the name it had as a plain many-to-many (migration 0016): the
    # sealed segments of the history chain name their tables (audit/history_seal.py).
    history = case_history(
        m2m_fields=[articles, group],
        custom_model_name=_history_name,
        excluded_fields=["region_unit", "district_unit"],
    )

    objects: ClassVar = CaseQuerySet.as_manager()

    class Meta:
        # The id breaks ties so that pages of the list never overlap or skip a case.
        ordering = ["-registered_at", "-id"]
        permissions = [
            ("assign_case", "Can assign investigators to the case"),
            ("approve_act", "Can approve or return the case's acts"),
            ("prosecute_case", "Can extend the term, return or reopen the case as its prosecutor"),
            ("audit_case", "Can read the case's access log"),
        ]
        constraints = [
            models.CheckConstraint(name="case_plot_not_blank", condition=~models.Q(plot="")),
            models.CheckConstraint(name="case_status_valid", condition=models.Q(status__in=CaseStatus.values)),
            models.CheckConstraint(
                name="case_form_valid", condition=models.Q(proceedings_form__in=ProceedingsForm.values)
            ),
            models.CheckConstraint(name="case_version_positive", condition=models.Q(version__gte=1)),
        ]
        indexes = [
            models.Index(fields=["unit", "status"], name="case_unit_status"),
            models.Index(fields=["lead_investigator", "status"], name="case_lead_status"),
            models.Index(fields=["deadline"], name="case_deadline"),
            # Lists walk cases in this order and stop after one page (bench/RESULTS.md, restricted lists).
            models.Index(fields=["-registered_at", "-id"], name="case_registered_order"),
            # A supervisor's list: the region's or the district's cases newest first (restrict).
            models.Index(fields=["region_unit", "-registered_at", "-id"], name="case_region_order"),
            models.Index(fields=["district_unit", "-registered_at", "-id"], name="case_district_order"),
        ]

    def __str__(self) -> str:
        return self.registration_number

    def clean(self) -> None:
        errors = {}
        if not (self.plot or "").strip():
            errors["plot"] = _("Describe what happened: the plot may not be empty.")
        if self.registered_at and self.registered_at > timezone.now():
            errors["registered_at"] = _("The registration date cannot be in the future.")
        if self.event_date and self.registered_at and self.event_date > timezone.localdate(self.registered_at):
            errors["event_date"] = _("The offence cannot have happened after the case was registered.")
        if errors:
            raise ValidationError(errors)

    def clean_fields(self, exclude=None):
        # The scope columns are derived from the unit in save(), never from input: validating them would
        # only re-read two units by key on every save (issue #15, the statements of a case update).
        super().clean_fields(exclude={*(exclude or ()), "region_unit", "district_unit"})

    def save(self, *args, **kwargs):
        # Every change raises the version, so an edit based on an older page is refused (StaleEdit).
        if not self._state.adding:
            self.version += 1
        elif self.region_unit_id is None:
            self.region_unit_id, self.district_unit_id = self.unit.scope_ids()
        super().save(*args, **kwargs)

    @property
    def offence_on(self):
        """The day whose law applies (УК РК art. 5): the offence date, else the registration day."""
        return self.event_date or timezone.localdate(self.registered_at)

    @property
    def is_completed(self) -> bool:
        return self.status in (CaseStatus.SENT_TO_PROSECUTOR, CaseStatus.TERMINATED, CaseStatus.SENT_TO_COURT)


class DeadlineExtension(CaseDataModel):
    """A prolongation of the term granted by the prosecutor (or the competent head)."""

    objects: ClassVar = CaseChildQuerySet.as_manager()
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="extensions")
    days = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_on = models.DateField()
    reason = models.TextField()
    # The prosecutor's signed decision that granted it (issue #17); empty for extensions granted before.
    decision_act = models.OneToOneField(
        "cases.ProceduralAct", null=True, blank=True, on_delete=models.PROTECT, related_name="decided_extension"
    )
    history = case_history()

    class Meta:
        ordering = ["granted_on", "id"]
        constraints = [
            models.CheckConstraint(name="extension_days_positive", condition=models.Q(days__gte=1)),
            models.CheckConstraint(name="extension_reason_not_blank", condition=~models.Q(reason="")),
        ]


class Interruption(CaseDataModel):
    """A period during which the term stood still (CPC RK art. 45); ``ended_on`` empty while it lasts."""

    objects: ClassVar = CaseChildQuerySet.as_manager()
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="interruptions")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    ground = models.CharField(max_length=200)
    reason = models.TextField()
    resume_reason = models.TextField(blank=True)
    history = case_history()

    class Meta:
        ordering = ["started_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="interruption_ends_after_start",
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
            ),
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(ended_on__isnull=True), name="one_open_interruption_per_case"
            ),
        ]


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Guardian grant of a case permission to a user, by direct foreign key (indexable, DESIGN §4)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="user_grants")

    # The unique (user, permission, content_object) index of the base class serves restrict().
    class Meta(UserObjectPermissionBase.Meta):
        pass


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """Guardian grant of a case permission to a group, by direct foreign key."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="group_grants")

    class Meta(GroupObjectPermissionBase.Meta):
        pass
