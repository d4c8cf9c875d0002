"""Units (region → city/district department) and the users who belong to them."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import ProsecutorLevel, Role, UnitKind


def ancestor_paths(path: str) -> list[str]:
    """The materialised paths of the unit at ``path`` and of every unit above it (``"75/7511/"`` →
    ``["75/", "75/7511/"]``): a unit's supervisors, and the unit supervisors' groups, sit on these."""
    parts = path.strip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def superior_prosecutor_fits(role: str, unit: Unit | None) -> bool:
    """Whether a user of ``role`` in ``unit`` may be a superior prosecutor: a prosecutor of a prosecutor's office."""
    return role == Role.PROSECUTOR and unit is not None and unit.kind == UnitKind.PROSECUTOR_OFFICE


class Unit(models.Model):
    """A node of the organisational tree.

    ``path`` is the materialised path of codes (``"75/7511/"``): "this unit and every unit
    below it" is one indexed prefix match, which supervisor scoping needs on every list.
    """

    code = models.CharField(
        max_length=16,
        unique=True,
        validators=[RegexValidator(r"^[0-9A-Z]+$", _("Digits and capital letters only."))],
        help_text=_("Organ code used in registration numbers."),
    )
    name_ru = models.CharField(max_length=200)
    name_kk = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=UnitKind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    city = models.CharField(max_length=100, help_text=_("Place printed on procedural acts."))
    path = models.CharField(max_length=255, unique=True, editable=False)
    # Only the Prosecutor General's Office needs it said: an office under another is a district one,
    # an office at the top of its tree a regional one (``prosecutor_level_of``).
    prosecutor_level = models.CharField(
        _("prosecutor's office level"),
        max_length=16,
        choices=ProsecutorLevel.choices,
        blank=True,
        help_text=_("For a prosecutor's office: how far its prosecutors may extend a term (УПК РК art. 192)."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["path"]
        indexes = [models.Index(fields=["path"], name="unit_path_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        # In the user's language (issue #16): Kazakh pages show the unit's Kazakh name.
        return (self.name_kk if get_language() == "kk" else "") or self.name_ru

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "") + f"{self.code}/"
        super().save(*args, **kwargs)

    def ancestor_paths(self) -> list[str]:
        """The paths of this unit and of every unit above it, the root first (``ancestor_paths``)."""
        return ancestor_paths(self.path)

    def prosecutor_level_of(self) -> str:
        """The office's level as stated, else by its place in the tree (a unit that is not an office
        ranks lowest: it extends nothing, and the extension service never asks it)."""
        if self.prosecutor_level:
            return self.prosecutor_level
        if self.kind == UnitKind.PROSECUTOR_OFFICE and self.parent_id is None:
            return ProsecutorLevel.REGIONAL
        return ProsecutorLevel.DISTRICT

    def subtree(self) -> models.QuerySet[Unit]:
        """This unit and every unit below it: one prefix match on the indexed path."""
        return Unit.objects.filter(path__startswith=self.path)

    def scope_ids(self) -> tuple[int, int | None]:
        """The ids of the units on the first two levels of this unit's path: its region (the root) and
        the unit below the region it belongs to (a district or city department; None for a region
        itself). A case stores them (``Case.region_unit``, ``Case.district_unit``) so that a
        supervisor's subtree is one indexed equality (cases/access/scope.py). The code and the parent of
        a unit never change (accounts.services.unit_update), so neither do these ids."""
        depth = self.path.count("/")
        if depth == 1:
            return self.pk, None
        if depth == 2:
            return self.parent_id, self.pk  # type: ignore[return-value]  # a unit below the root has a parent
        region, district = ancestor_paths(self.path)[:2]
        ids = dict(Unit.objects.filter(path__in=(region, district)).values_list("path", "pk"))
        return ids[region], ids[district]


class User(AbstractUser):
    """A person who signs in. Belongs to one unit and holds one role."""

    role = models.CharField(max_length=32, choices=Role.choices)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    # The position in Russian (printed under the signature on acts) and, when known, in Kazakh:
    # a Kazakh act or page shows ``position_in("kk")`` (issue #16).
    position = models.CharField(
        _("position (Russian)"), max_length=200, blank=True, help_text=_("Printed under the signature on acts.")
    )
    position_kk = models.CharField(_("position (Kazakh)"), max_length=200, blank=True)
    middle_name = models.CharField(_("patronymic"), max_length=150, blank=True)
    language = models.CharField(
        max_length=8, default="ru", choices=[("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]
    )
    # The head of a prosecutor's office or a deputy (issue #17): holds the procedural prosecutor's
    # rights on every case supervised from the office or an office below it (accounts/groups.py).
    # A right like role and unit: only an administrator sets it, and the change is audited.
    superior_prosecutor = models.BooleanField(
        _("superior prosecutor of the office"),
        default=False,
        help_text=_("Head of the prosecutor's office or a deputy: decides on the cases of the office's prosecutors."),
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects: ClassVar = UserManager()

    # Attached to the request's user by django-otp's OTPMiddleware: whether this session confirmed
    # a second factor. Declared for the type checker only; a user loaded elsewhere lacks it.
    is_verified: Callable[[], bool]

    class Meta:
        constraints = [
            # Everyone but an administrator works in a unit: scoping is by unit.
            models.CheckConstraint(
                name="user_unit_unless_administrator",
                condition=models.Q(role=Role.ADMINISTRATOR) | models.Q(unit__isnull=False),
            ),
            # Only a prosecutor is a superior prosecutor; that their unit is a prosecutor's office is
            # checked by ``clean`` (a check constraint cannot look at another table).
            models.CheckConstraint(
                name="user_superior_is_prosecutor",
                condition=models.Q(superior_prosecutor=False) | models.Q(role=Role.PROSECUTOR),
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        if self.superior_prosecutor and not superior_prosecutor_fits(self.role, self.unit):
            raise ValidationError(
                {"superior_prosecutor": _("Only a prosecutor of a prosecutor's office can be a superior prosecutor.")}
            )

    def get_full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    def position_in(self, language: str | None) -> str:
        """The position as a page or an act in ``language`` shows it: Kazakh when recorded, else Russian."""
        return (self.position_kk if language == "kk" else "") or self.position

    def short_name(self) -> str:
        """ "Surname I.O." as printed on procedural acts."""
        initials = "".join(f"{p[0]}." for p in (self.first_name, self.middle_name) if p)
        return f"{self.last_name} {initials}".strip() or self.username


class UserSession(models.Model):
    """A signed-in browser session, so a user can see and end their own sessions (ASVS 3.3.4)."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="browser_sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["user", "ended_at"], name="user_session_open")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.session_key[:8]}…"


class ApiToken(models.Model):
    """A bearer token with which another agency's system acts as one user in the JSON API (issue #7).

    Only the SHA-256 of the token is stored. The token is 256 random bits from the operating
    system's CSPRNG, so nobody can guess a preimage however fast the hash is; slow hashes
    (PBKDF2, Argon2) exist to protect low-entropy passwords from offline guessing and would
    only cost every API request a hundred milliseconds. ``prefix`` is the public part of the
    token: it finds the row with one index lookup and names the token in logs and commands.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=200, help_text=_("Which system holds the token."))
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, help_text=_("SHA-256 of the whole token, hex."))
    can_write = models.BooleanField(
        default=False, help_text=_("Read-only unless issued for writing; a prosecutor's token is always read-only.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    # A token holds no second factor, so by default it does not reach grave and especially grave
    # cases, which the browser opens only after a fresh TOTP (docs/API.md, "Grave cases").
    grave_cases = models.BooleanField(
        default=False, help_text=_("Opens grave and especially grave cases; only an administrator grants it.")
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(name="api_token_digest_hex", condition=models.Q(digest__regex=r"^[0-9a-f]{64}$")),
            models.CheckConstraint(
                name="api_token_expires_after_issue", condition=models.Q(expires_at__gt=models.F("created_at"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} ({self.user.username}, {self.name})"

    @property
    def may_write(self) -> bool:
        """Issued for writing, and its user's role still writes: checked on every request, so a user who
        became a prosecutor (read-only by role) keeps no write token from before."""
        return self.can_write and self.user.role not in (Role.PROSECUTOR, Role.ADMINISTRATOR)

    def refusal(self, now=None) -> str | None:
        """Why the token may not be used right now, or None when it may."""
        if self.revoked_at is not None:
            return "token_revoked"
        if self.expires_at <= (now or timezone.now()):
            return "token_expired"
        if not self.user.is_active:
            return "user_inactive"
        return None


class IdempotentRequest(models.Model):
    """The recorded outcome of an API write sent with an ``Idempotency-Key`` (issue #20, accounts/idempotency.py).

    It lives here, next to ApiToken, because it belongs to the caller (a token or a session
    user) and not to any case: it is not case data, only a replay cache of a response, so it is
    deleted after ECASE_IDEMPOTENCY_HOURS (``purge_idempotency_keys``) — the write it describes
    stays in the case and its audit trail. A row without ``status`` is a write still running:
    it is inserted first, in the write's transaction, so a concurrent duplicate waits on its
    unique index and then sees the outcome.
    """

    principal = models.CharField(max_length=40, help_text=_("token:<id> or user:<id>"))
    key = models.CharField(max_length=128)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    body_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.TextField(blank=True, default="")
    headers = models.JSONField(default=dict, blank=True)
    case_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.principal} {self.method} {self.path}"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotent_request_once")]
