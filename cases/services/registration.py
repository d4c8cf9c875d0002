"""Registering a case: the number, the qualification, the term, the grants."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import m2m_changed
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Unit, User
from audit.choices import EventType
from audit.services import audit_record
from ecase.errors import NotAllowed
from ecase.history import save_attributed

from .. import access
from ..choices import CaseStatus, Gravity
from ..models import Case, CaseArticle, CriminalCodeArticle, CriminalCodeArticleVersion, RegistrationSequence
from ..models.case import POINT_RE
from ..models.status_log import REGISTER, record_status_change
from ..proceedings_forms import check_form
from .term import refresh_deadline


def format_registration_number(*, unit: Unit, year: int, seq: int) -> str:
    return settings.ECASE_REGISTRATION_NUMBER_FORMAT.format(
        yyyy=f"{year:04d}", yy=f"{year % 100:02d}", unit=unit.code, seq=seq
    )


def issue_registration_number(*, unit: Unit, when: datetime) -> str:
    """Next number of ``unit`` for the year of ``when``; must run inside the registering transaction.

    The sequence row stays locked until that transaction ends, so concurrent registrations in
    one unit queue here and a rolled-back registration gives its number back.
    """
    year = timezone.localdate(when).year
    RegistrationSequence.objects.bulk_create([RegistrationSequence(unit=unit, year=year)], ignore_conflicts=True)
    sequence = RegistrationSequence.objects.select_for_update().get(unit=unit, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return format_registration_number(unit=unit, year=year, seq=sequence.last)


def resolve_articles(articles: Iterable[CriminalCodeArticle | int]) -> list[CriminalCodeArticle]:
    """The active articles for ``articles`` (instances or ids); an unknown one is a validation error."""
    ids = {a.pk if isinstance(a, CriminalCodeArticle) else a for a in articles}
    if not ids:
        raise ValidationError({"articles": _("Qualify the offence: choose at least one article.")})
    found = list(CriminalCodeArticle.objects.filter(pk__in=ids, is_active=True))
    if len(found) != len(ids):
        raise ValidationError({"articles": _("Unknown or inactive article of the Criminal Code.")})
    return found


def resolve_points(qualification: list[CriminalCodeArticle], points: Mapping[int, str | None] | None) -> dict[int, str]:
    """The point (пункт) of each qualified part that has one, checked: a point names a part of the
    qualification and is a number such as 4 or 3-1 (``CaseArticle.point``)."""
    chosen = {a.pk: a for a in qualification}
    resolved: dict[int, str] = {}
    for pk, point in (points or {}).items():
        point = str(point or "").strip()
        if not point:
            continue
        if pk not in chosen:
            raise ValidationError({"points": _("A point is given for an article that is not in the qualification.")})
        if not re.match(POINT_RE, point):
            raise ValidationError(
                {
                    "points": _("Point “%(point)s” of %(article)s: a point is a number, such as 4 or 3-1.")
                    % {"point": point, "article": chosen[pk].code}
                }
            )
        resolved[pk] = point
    return resolved


def set_qualification(case: Case, qualification: list[CriminalCodeArticle], points: dict[int, str]) -> None:
    """Make the case's links the parts of ``qualification`` with their points (a link the new one lacks goes,
    as ``set`` did).

    The links are written directly, a point being per link, and the one ``m2m_changed`` that ``set``
    would send is sent after them: simple-history answers it with the case's history row that
    snapshots the new qualification, points included (ecase/history.py).
    """
    stored = {link.article_id: link for link in CaseArticle.objects.filter(case=case)}
    wanted = {a.pk for a in qualification}
    gone = [pk for pk in stored if pk not in wanted]
    if gone:
        CaseArticle.objects.filter(case=case, article_id__in=gone).delete()
    added = [CaseArticle(case=case, article_id=pk, point=points.get(pk)) for pk in wanted if pk not in stored]
    CaseArticle.objects.bulk_create(added)
    repointed = [link for pk, link in stored.items() if pk in wanted and link.point != points.get(pk)]
    for link in repointed:
        link.point = points.get(link.article_id)
        link.save(update_fields=["point"])
    changed = {*gone, *(link.article_id for link in added), *(link.article_id for link in repointed)}
    if changed:
        m2m_changed.send(
            sender=CaseArticle,
            instance=case,
            action="post_add",
            reverse=False,
            model=CriminalCodeArticle,
            pk_set=changed,
            using=case._state.db,
        )


def qualification_codes(qualification: list[CriminalCodeArticle], points: dict[int, str]) -> list[str]:
    """The qualification as the audit records it: "190-2" or, with a point, "190-2 п.4"."""
    return sorted(f"{a.code} п.{points[a.pk]}" if a.pk in points else a.code for a in qualification)


def gravity_in_force(qualification: list[CriminalCodeArticle], day: date) -> tuple[int, list[str]]:
    """The case's gravity under the law in force on ``day`` (УК РК art. 5 part 1), and the versions used.

    Each part counts with its version in force that day; the gravest part gives the case's
    gravity (DESIGN §3). A part with no version in force then is refused rather than judged by a
    later law: the administrators must add the sanction of that time first.
    """
    versions = CriminalCodeArticleVersion.objects.filter(article__in=qualification, in_force_from__lte=day)
    return gravity_of_versions(qualification, versions, day)


def gravity_of_versions(
    qualification: list[CriminalCodeArticle], versions: Iterable[CriminalCodeArticleVersion], day: date
) -> tuple[int, list[str]]:
    """``gravity_in_force`` on versions already read (any that took effect after ``day`` are ignored),
    so that a caller comparing two days reads them once."""
    in_force: dict[int, CriminalCodeArticleVersion] = {}
    for version in sorted(versions, key=lambda v: (v.article_id, v.in_force_from), reverse=True):
        if version.in_force_from <= day:
            in_force.setdefault(version.article_id, version)
    missing = [a.code for a in qualification if a.pk not in in_force]
    if missing:
        raise ValidationError(
            {
                "articles": _(
                    "The reference data has no sanction of %(articles)s in force on %(day)s: an administrator "
                    "must add the version in force then."
                )
                % {"articles": ", ".join(sorted(missing)), "day": day.strftime("%d.%m.%Y")}
            }
        )
    used = sorted(f"{a.code}@{in_force[a.pk].in_force_from.isoformat()}" for a in qualification)
    return max(v.gravity for v in in_force.values()), used


def require_supervisor_for_grave(*, gravity: int, supervisor: User | None) -> None:
    """Extended protection: a grave case is seen by one named supervisor, so one must be named."""
    if gravity >= Gravity.GRAVE and supervisor is None:
        raise ValidationError(
            {"supervisor": _("A grave or especially grave case needs an explicitly assigned supervisor.")}
        )


def _check_registrar(actor: User, unit: Unit, lead: User) -> None:
    if actor.role not in (Role.INVESTIGATOR, Role.SUPERVISOR) or actor.unit is None:
        raise NotAllowed("only investigators and supervisors register cases")
    if not unit.path.startswith(actor.unit.path):
        raise NotAllowed("a case is registered in the registrar's own unit or below it")
    if (
        lead.role != Role.INVESTIGATOR
        or not lead.is_active
        or lead.unit is None  # never, for an investigator (the constraint user_unit_unless_administrator)
        or not lead.unit.path.startswith(unit.path)
    ):
        raise ValidationError(
            {"lead_investigator": _("The lead investigator must be an active investigator of the unit.")}
        )


@transaction.atomic
def case_register(
    *,
    actor: User,
    unit: Unit,
    articles: Iterable[CriminalCodeArticle | int],
    proceedings_form: str,
    plot: str,
    registered_at: datetime | None = None,
    event_date=None,
    lead_investigator: User | None = None,
    prosecutor: User | None = None,
    supervisor: User | None = None,
    points: Mapping[int, str | None] | None = None,
) -> Case:
    """Register a case in the ERDR: number, qualification, gravity, term and grants, in one transaction.

    ``points`` gives the point (пункт) of a qualified part by the part's id, where it has one. The form
    of proceedings must be one the Code allows for the case's gravity (cases/proceedings_forms.py).
    """
    lead = lead_investigator or actor
    _check_registrar(actor, unit, lead)
    # The form offers prosecutors by search only; whoever calls, the one named must be an active prosecutor.
    if prosecutor is not None and (prosecutor.role != Role.PROSECUTOR or not prosecutor.is_active):
        raise ValidationError({"prosecutor": _("Choose an active prosecutor.")})
    qualification = resolve_articles(articles)
    chosen_points = resolve_points(qualification, points)
    case = Case(
        registered_at=registered_at or timezone.now(),
        event_date=event_date,
        plot=(plot or "").strip(),
        proceedings_form=proceedings_form,
        unit=unit,
        lead_investigator=lead,
        prosecutor=prosecutor,
        supervisor=supervisor,
        created_by=actor,
        status=CaseStatus.REGISTERED,
    )
    case.full_clean(exclude=["registration_number", "articles", "group", "gravity"])
    # The law at the time of the act: the versions in force on the offence date (registration day if unknown).
    case.gravity, versions = gravity_in_force(qualification, case.offence_on)
    check_form(form=case.proceedings_form, gravity=case.gravity)
    require_supervisor_for_grave(gravity=case.gravity, supervisor=case.supervisor)
    case.registration_number = issue_registration_number(unit=unit, when=case.registered_at)
    save_attributed(case, actor=actor, reason=_("Registered"), exclude=["registration_number"])
    set_qualification(case, qualification, chosen_points)
    record_status_change(
        case, action=REGISTER, from_status="", actor=actor, on_date=timezone.localdate(case.registered_at)
    )
    refresh_deadline(case, actor=actor, reason=_("Term computed at registration"))
    grants = access.sync_grants(case)
    audit_record(
        actor=actor,
        event=EventType.CASE_REGISTERED,
        case_id=case.pk,
        target=case,
        data={
            "number": case.registration_number,
            "articles": qualification_codes(qualification, chosen_points),
            "gravity": case.gravity,
            "versions": versions,
            "form": case.proceedings_form,
            "grants": grants,
        },
    )
    return case
