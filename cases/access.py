"""Need-to-know: which case permissions follow from a case's assignment (DESIGN §4).

Grants are guardian object permissions on Case only; acts, participants and evidence
inherit through their case. They are derived from the assignment, never edited by hand:

* the lead investigator and the investigative group: view and change;
* the supervising prosecutor: view and the access log — read-only, never a write;
* the supervisors of the case's unit and of every unit above it (through the unit's
  supervisors group): view, assign, approve acts, the access log, and recording the
  prosecutor's decisions (PROSECUTE). A grave or especially grave case is
  hidden from them unless one of them is the case's explicitly assigned supervisor.

Administrators hold no grant and the superuser flag is ignored by ``restrict``.
"""
from __future__ import annotations

from django.contrib.auth.models import Permission

from accounts.models import Unit
from accounts.services import unit_supervisors_group

from .choices import Gravity

VIEW, CHANGE, ASSIGN, APPROVE, AUDIT = "view", "change", "assign", "approve", "audit"
# Recording a decision of the supervising prosecutor (term extension, return for additional
# investigation, cancelled termination). The prosecutor decides; the unit's supervisor records
# the decision in the file, because the prosecutor's access here is read-only (issue #3).
PROSECUTE = "prosecute"
CODENAMES = {
    VIEW: "view_case",
    CHANGE: "change_case",
    ASSIGN: "assign_case",
    APPROVE: "approve_act",
    PROSECUTE: "prosecute_case",
    AUDIT: "audit_case",
}
INVESTIGATOR_ACTIONS = (VIEW, CHANGE)
PROSECUTOR_ACTIONS = (VIEW, AUDIT)
SUPERVISOR_ACTIONS = (VIEW, ASSIGN, APPROVE, AUDIT, PROSECUTE)


def codename(action: str) -> str:
    try:
        return CODENAMES[action]
    except KeyError:
        raise ValueError(f"unknown case action {action!r}; known: {sorted(CODENAMES)}") from None


def desired_user_grants(case) -> set[tuple[int, str]]:
    grants: set[tuple[int, str]] = set()
    investigators = {case.lead_investigator_id, *case.group.values_list("pk", flat=True)}
    for user_id in investigators:
        grants.update((user_id, codename(a)) for a in INVESTIGATOR_ACTIONS)
    if case.prosecutor_id:
        grants.update((case.prosecutor_id, codename(a)) for a in PROSECUTOR_ACTIONS)
    if case.supervisor_id:
        grants.update((case.supervisor_id, codename(a)) for a in SUPERVISOR_ACTIONS)
    return grants


def desired_group_grants(case) -> set[tuple[int, str]]:
    if case.gravity >= Gravity.GRAVE:
        return set()  # extended protection: only the explicitly assigned supervisor
    units = Unit.objects.filter(path__in=_ancestor_paths(case.unit.path))
    return {(unit_supervisors_group(unit).pk, codename(a)) for unit in units for a in SUPERVISOR_ACTIONS}


def _ancestor_paths(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def sync_grants(case) -> dict[str, list[str]]:
    """Make the case's guardian rows equal to what its assignment implies; return what changed."""
    from .models import CaseGroupObjectPermission, CaseUserObjectPermission

    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="cases", content_type__model="case")}
    changes: dict[str, list[str]] = {"granted": [], "revoked": []}
    for model, owner, desired in (
        (CaseUserObjectPermission, "user_id", desired_user_grants(case)),
        (CaseGroupObjectPermission, "group_id", desired_group_grants(case)),
    ):
        existing = {(getattr(row, owner), row.permission.codename): row
                    for row in model.objects.filter(content_object=case).select_related("permission")}
        for key in desired - existing.keys():
            model.objects.create(content_object=case, permission=perms[key[1]], **{owner: key[0]})
            changes["granted"].append(f"{owner[:-3]}:{key[0]}:{key[1]}")
        stale = existing.keys() - desired
        if stale:
            model.objects.filter(pk__in=[existing[k].pk for k in stale]).delete()
            changes["revoked"].extend(f"{owner[:-3]}:{k[0]}:{k[1]}" for k in sorted(stale))
    return changes


def allowed_actions(user, case_id: int) -> set[str]:
    """The actions ``user`` holds on one case, in one query (for showing the right buttons)."""
    from .models import CaseGroupObjectPermission, CaseUserObjectPermission

    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    by_user = CaseUserObjectPermission.objects.filter(user_id=user.pk, content_object_id=case_id)
    by_group = CaseGroupObjectPermission.objects.filter(group__user=user.pk, content_object_id=case_id)
    codes = set(by_user.values_list("permission__codename", flat=True)
                .union(by_group.values_list("permission__codename", flat=True)))
    return {action for action, code in CODENAMES.items() if code in codes}
