"""Need-to-know: which case permissions follow from a case's assignment (DESIGN §4).

Grants are guardian object permissions on Case only; acts, participants and evidence
inherit through their case. They are derived from the assignment, never edited by hand:

* the lead investigator and the investigative group: view and change;
* the supervising prosecutor: view, the access log and their own decisions (PROSECUTE: agree,
  refuse, extend, return) — never a change of the file's content;
* the supervisors of the case's unit and of every unit above it (through the unit's
  supervisors group): view, assign, approve acts, the access log. A grave or especially grave case is
  hidden from them unless one of them is the case's explicitly assigned supervisor;
* the superior prosecutors (head, deputies) of the supervising prosecutor's office and of every
  office above it (through the office's superiors group): the prosecutor's own rights, view, the
  access log and PROSECUTE. Grave cases included: the extended protection keeps grave cases from the
  police chain of command (DESIGN §4); the prosecutor's office supervises every case, and its
  superior prosecutor holds the procedural prosecutor's powers (issue #17; docs/LEGAL_SOURCES.md).

What a role can hold at all is ``rules.ROLE_ACTIONS``. A change of role, unit or activity
re-derives the user's own grants at once (``resync_user``), and with them the group grants of the
cases that name them: a prosecutor moved to another office takes their cases' superiors along.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import Q
from django.dispatch import receiver

from accounts.choices import Role
from accounts.models import Unit, User
from accounts.services import office_superiors_group, rights_changed, unit_supervisors_group
from audit.choices import EventType
from audit.services import audit_record

from ..choices import Gravity
from .rules import (
    INVESTIGATOR_ACTIONS,
    PROSECUTOR_ACTIONS,
    SUPERVISOR_ACTIONS,
    codename,
)


def desired_user_grants(case) -> set[tuple[int, str]]:
    """The grants of the people the case names, each only while they can still hold that place
    (the rules of the assignment forms): an active investigator of the case's unit (the group:
    any active investigator), an active prosecutor, an active supervisor of the unit or above it.
    Someone whose role, unit or activity changed keeps the name in the file but no grant."""
    members = set(case.group.values_list("pk", flat=True))
    named = {case.lead_investigator_id, case.prosecutor_id, case.supervisor_id, *members} - {None}
    people = {
        u.pk: u
        for u in User.objects.filter(pk__in=named).select_related("unit").only("pk", "role", "is_active", "unit__path")
    }

    def holding(user_id, role: str) -> User | None:
        """The named user, if they are active and hold ``role``."""
        user = people.get(user_id)
        return user if user is not None and user.is_active and user.role == role else None

    unit_path = case.unit.path
    grants: set[tuple[int, str]] = set()
    investigators = {pk for pk in members if holding(pk, Role.INVESTIGATOR) is not None}
    # Investigators and supervisors always work in a unit (the constraint user_unit_unless_administrator).
    lead = holding(case.lead_investigator_id, Role.INVESTIGATOR)
    if lead is not None and lead.unit is not None and lead.unit.path.startswith(unit_path):
        investigators.add(lead.pk)
    for user_id in investigators:
        grants.update((user_id, codename(a)) for a in INVESTIGATOR_ACTIONS)
    if holding(case.prosecutor_id, Role.PROSECUTOR) is not None:
        grants.update((case.prosecutor_id, codename(a)) for a in PROSECUTOR_ACTIONS)
    supervisor = holding(case.supervisor_id, Role.SUPERVISOR)
    if supervisor is not None and supervisor.unit is not None and unit_path.startswith(supervisor.unit.path):
        grants.update((case.supervisor_id, codename(a)) for a in SUPERVISOR_ACTIONS)
    return grants


def desired_group_grants(case) -> set[tuple[int, str]]:
    return _supervisors_grants(case) | _superiors_grants(case)


def _supervisors_grants(case) -> set[tuple[int, str]]:
    if case.gravity >= Gravity.GRAVE:
        return set()  # extended protection: only the explicitly assigned supervisor
    units = Unit.objects.filter(path__in=case.unit.ancestor_paths())
    return {(unit_supervisors_group(unit).pk, codename(a)) for unit in units for a in SUPERVISOR_ACTIONS}


def _superiors_grants(case) -> set[tuple[int, str]]:
    """The superiors' groups of the case's prosecutor's office and every unit above it.

    The office is the named prosecutor's unit as it is now, whatever their activity: an absent
    prosecutor's cases are exactly those their superior must be able to decide on. Every unit on the
    path gets the grant, whatever its kind: only a prosecutor of a prosecutor's office is ever a
    member (accounts/groups.py), so a unit's kind may change without re-deriving its cases."""
    if case.prosecutor_id is None:
        return set()
    prosecutor = User.objects.select_related("unit").only("role", "unit__path").get(pk=case.prosecutor_id)
    if prosecutor.role != Role.PROSECUTOR or prosecutor.unit is None:
        return set()
    offices = Unit.objects.filter(path__in=prosecutor.unit.ancestor_paths())
    return {(office_superiors_group(unit).pk, codename(a)) for unit in offices for a in PROSECUTOR_ACTIONS}


def sync_grants(case) -> dict[str, list[str]]:
    """Make the case's guardian rows equal to what its assignment implies; return what changed."""
    from ..models import CaseGroupObjectPermission, CaseUserObjectPermission

    perms = {
        p.codename: p for p in Permission.objects.filter(content_type__app_label="cases", content_type__model="case")
    }
    changes: dict[str, list[str]] = {"granted": [], "revoked": []}
    for model, owner, desired in (
        (CaseUserObjectPermission, "user_id", desired_user_grants(case)),
        (CaseGroupObjectPermission, "group_id", desired_group_grants(case)),
    ):
        existing = {
            (getattr(row, owner), row.permission.codename): row
            for row in model.objects.filter(content_object=case).select_related("permission")
        }
        for key in desired - existing.keys():
            model.objects.create(content_object=case, permission=perms[key[1]], **{owner: key[0]})
            changes["granted"].append(f"{owner[:-3]}:{key[0]}:{key[1]}")
        stale = existing.keys() - desired
        if stale:
            model.objects.filter(pk__in=[existing[k].pk for k in stale]).delete()
            changes["revoked"].extend(f"{owner[:-3]}:{k[0]}:{k[1]}" for k in sorted(stale))
    return changes


@receiver(rights_changed, dispatch_uid="cases.access.resync_user")
def _on_rights_changed(sender, *, user, actor, **kwargs) -> None:
    resync_user(user=user, actor=actor)


def resync_user(*, user, actor) -> list[int]:
    """Re-derive the grants of every case that names ``user`` or grants them anything, after a
    change of their role, unit or activity (in that change's transaction); each case whose
    grants change gets an event in its own chain. Returns the ids of those cases."""
    from ..models import Case, CaseUserObjectPermission

    ids = set(CaseUserObjectPermission.objects.filter(user_id=user.pk).values_list("content_object_id", flat=True))
    ids.update(
        Case.objects.filter(Q(lead_investigator=user.pk) | Q(prosecutor=user.pk) | Q(supervisor=user.pk)).values_list(
            "pk", flat=True
        )
    )
    ids.update(Case.group.through.objects.filter(user_id=user.pk).values_list("case_id", flat=True))
    changed = []
    # Locked in id order like every other writer of a case, so two resyncs cannot deadlock.
    for case in Case.objects.select_for_update(of=("self",)).select_related("unit").filter(pk__in=ids).order_by("pk"):
        grants = sync_grants(case)
        if grants["granted"] or grants["revoked"]:
            event = EventType.PERMISSION_REVOKED if grants["revoked"] else EventType.PERMISSION_GRANTED
            audit_record(
                actor=actor,
                event=event,
                case_id=case.pk,
                target=case,
                data={"user": user.username, "role": user.role, "active": user.is_active, "grants": grants},
            )
            changed.append(case.pk)
    return changed
