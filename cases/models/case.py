"""The criminal case, its registration counter, its term and the object permissions on it."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.signals import m2m_changed, post_migrate
from django.dispatch import receiver
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


# Permission ids per (database alias, codename). Permissions are rows created by migrate and
# never change while the process runs, so restrict() need not look them up on every call. A
# flush or migrate (the test suite's TransactionTestCase, a fresh test database) re-creates them
# with new ids, hence the cache is dropped on post_migrate; the alias keeps a process that talks
# to two databases (tests, the benchmark) from mixing their ids.
_PERMISSION_IDS: dict[tuple[str, str], int] = {}


def _permission_id(alias: str, action: str) -> int | None:
    from ..access import codename

    key = (alias, codename(action))  # codename() refuses an unknown action before anything is cached
    if key not in _PERMISSION_IDS:
        pk = (
            Permission.objects.using(alias)
            .filter(content_type__app_label="cases", content_type__model="case", codename=key[1])
            .values_list("pk", flat=True)
            .first()
        )
        if pk is None:
            return None  # not cached: the permission may appear with the next migrate
        _PERMISSION_IDS[key] = pk
    return _PERMISSION_IDS[key]


@receiver(post_migrate, dispatch_uid="cases.restrict.forget_permission_ids")
def _forget_permission_ids(**kwargs) -> None:
    _PERMISSION_IDS.clear()


# The user's group ids are kept on the user object. A request loads its user afresh, so this is
# one query per request instead of one per restrict() call (the case page calls it several times);
# Django's ModelBackend caches permissions on the user the same way. Membership changes through
# ``user.groups`` drop the cached ids (below); a change made from the group's side
# (``group.user_set``) is seen by user objects loaded afterwards.
_GROUPS_ATTR = "_restrict_group_ids"


def _group_ids(user, alias: str) -> tuple[int, ...]:
    cached = getattr(user, _GROUPS_ATTR, None)
    if cached is None or cached[0] != alias:
        memberships = get_user_model().groups.through.objects.using(alias)
        ids = tuple(memberships.filter(user_id=user.pk).values_list("group_id", flat=True))
        cached = (alias, ids)
        setattr(user, _GROUPS_ATTR, cached)
    return cached[1]


@receiver(m2m_changed, dispatch_uid="cases.restrict.forget_group_ids")
def _forget_group_ids(sender, instance, **kwargs) -> None:
    if sender is get_user_model().groups.through and _GROUPS_ATTR in vars(instance):
        delattr(instance, _GROUPS_ATTR)


# A supervisor's view grants through groups up to this many make a "small" scope (below).
# Cost of a page either way at 1,000,000 cases: reading the scope grant-first costs about one
# primary-key fetch per visible case; walking the list's order costs about (page size × cases ÷
# visible cases) index probes. They meet near √(50 × 1,000,000) ≈ 7,000 visible cases.
SMALL_SCOPE = 5_000
_SCOPE_ATTR = "_restrict_large_scopes"


def _large_scope(user, alias: str, perm: int, by_group) -> bool:
    """Whether ``user``'s group grants for ``perm`` reach SMALL_SCOPE: an index-only scan of at most
    that many entries, once per user object (per request), like the group ids. It only chooses the
    shape of the query, never what it returns, so a scope that grows during the request is harmless."""
    cache = vars(user).setdefault(_SCOPE_ATTR, {})
    if (alias, perm) not in cache:
        # content_object_id, not pk: the unique index (group, permission, object) holds it, so this
        # is an index-only scan; the pk sent PostgreSQL to the table for each of the 5,000 rows
        # (20–60 ms at 1,000,000 cases, measured).
        probe = by_group.order_by().values_list("content_object_id", flat=True)[SMALL_SCOPE - 1 : SMALL_SCOPE]
        cache[(alias, perm)] = bool(list(probe))
    return cache[(alias, perm)]


class CaseQuerySet(CaseDataQuerySet):
    def restrict(self, user, action: str = "view") -> CaseQuerySet:
        """The cases ``user`` may ``action``: the one read path of case data (DESIGN §4).

        Only object grants count: no model-level permission, no superuser bypass; an anonymous
        or inactive user sees nothing, nor does a role that cannot hold ``action``
        (``cases.access.ROLE_ACTIONS``); group grants count for supervisors only.

        The shape of the query is chosen for the planner (bench/RESULTS.md, restricted list):

        * The permission id and the user's group ids are looked up first (both cached, see
          ``_permission_id`` and ``_group_ids``), so the grant subqueries filter on plain
          ``permission_id = %s`` / ``group_id IN (…)``: no joins to auth_permission,
          django_content_type or the user-groups table, whose row estimates (1 row) made the
          planner misjudge the grant sets by orders of magnitude.
        * Without groups (investigators, prosecutors: a few to a few hundred grants) the cases
          are ``pk IN (user grants)``: PostgreSQL reads the grants from their index and fetches
          those cases by primary key.
        * With groups (supervisors), by the size of the scope (``_large_scope``: fewer than
          SMALL_SCOPE group grants or not, one capped index-only probe per request):
          - small: ``pk IN (user grants UNION ALL group grants)``, read grant-first like an
            investigator's;
          - large (up to hundreds of thousands of cases): ``EXISTS (user grant UNION ALL group
            grant)``, one correlated subquery. PostgreSQL walks cases in the list's order (index
            ``case_registered_order``) and probes the two unique grant indexes per case, stopping
            after one page: a few hundred probes for a regional supervisor. The UNION ALL keeps
            PostgreSQL from hashing the subquery: ``EXISTS … OR EXISTS …`` (until 2026-12) was
            planned as two hashed subplans whose every grant (160,000 for a region) was read and
            hashed before the first case, whatever the page (67 ms at 1M cases, bench/RESULTS.md).
          A COUNT(*) of a large scope tests every case of the table, so a supervisor's list does
          not count everything it could show (cases/paging.py).
        """
        from ..access import holds_group_grants, role_allows

        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        perm = _permission_id(self.db, action)
        if perm is None:  # not migrated yet: nobody can hold a grant that has no permission row
            return self.none()
        # Rights follow the role (DESIGN §4): a grant the current role could not hold counts for
        # nothing, and groups count only for the roles that hold grants through one (supervisors),
        # so a membership added by hand reaches no case. Decided on the user object, before the query.
        if not role_allows(user, action):
            return self.none()
        by_user = CaseUserObjectPermission.objects.using(self.db).filter(user_id=user.pk, permission_id=perm)
        groups = _group_ids(user, self.db) if holds_group_grants(user) else ()
        if not groups:
            return self.filter(pk__in=by_user.values("content_object_id"))
        by_group = CaseGroupObjectPermission.objects.using(self.db).filter(group_id__in=groups, permission_id=perm)
        if not _large_scope(user, self.db, perm, by_group):
            return self.filter(
                pk__in=by_user.values("content_object_id").union(by_group.values("content_object_id"), all=True)
            )
        granted = by_user.filter(content_object_id=OuterRef("pk")).values("pk")
        return self.filter(
            Exists(granted.union(by_group.filter(content_object_id=OuterRef("pk")).values("pk"), all=True))
        )

    def case_id_of(self, pk) -> int | None:
        return pk if self.filter(pk=pk).exists() else None


class CaseChildQuerySet(CaseDataQuerySet):
    """Query set of a model that belongs to a case through ``case_path``; access inherits from the case."""

    case_path = "case"

    def restrict(self, user, action: str = "view"):
        return self.filter(**{f"{self.case_path}__in": Case.objects.restrict(user, action)})

    def case_id_of(self, pk) -> int | None:
        """The case a row belongs to (for the access log of a refused attempt), or None if absent."""
        return (
            self.filter(pk=pk)
            .values_list(f"{self.case_path}_id" if "__" not in self.case_path else f"{self.case_path}__id", flat=True)
            .first()
        )


def offence_day():
    """The day whose law qualifies the case, as a query expression (see ``Case.offence_on``)."""
    return Coalesce("event_date", TruncDate("registered_at"))


class Case(CaseDataModel):
    """A criminal case (a record of the Unified Register of Pre-trial Investigations, ERDR)."""

    registration_number = models.CharField(max_length=64, unique=True, editable=False)
    registered_at = models.DateTimeField()
    event_date = models.DateField(null=True, blank=True, help_text=_("Date of the offence, when known."))
    articles = models.ManyToManyField("cases.CriminalCodeArticle", related_name="cases")
    # Derived from the article versions in force on ``offence_on`` at registration and at
    # requalification only (cases/services): never by an edit of the case or of reference data.
    gravity = models.PositiveSmallIntegerField(choices=Gravity.choices, editable=False)
    proceedings_form = models.CharField(max_length=32, choices=ProceedingsForm.choices)
    status = models.CharField(max_length=32, choices=CaseStatus.choices, default=CaseStatus.REGISTERED)
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="cases")
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
    history = case_history(m2m_fields=[articles, group])

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

    def save(self, *args, **kwargs):
        # Every change raises the version, so an edit based on an older page is refused (StaleEdit).
        if not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)

    @property
    def offence_on(self):
        """The day whose law applies (УК РК art. 5): the offence date, else the registration day."""
        return self.event_date or timezone.localdate(self.registered_at)

    @property
    def is_interrupted(self) -> bool:
        return self.status == CaseStatus.INTERRUPTED

    @property
    def is_completed(self) -> bool:
        return self.status in (CaseStatus.SENT_TO_PROSECUTOR, CaseStatus.TERMINATED)


class DeadlineExtension(CaseDataModel):
    """A prolongation of the term granted by the prosecutor (or the competent head)."""

    objects: ClassVar = CaseChildQuerySet.as_manager()
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="extensions")
    days = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_on = models.DateField()
    reason = models.TextField()
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
