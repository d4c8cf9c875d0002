"""What each role can ever do on a case: the actions, their permission codenames, the one table.

Rights follow the role (``ROLE_ACTIONS``): a grant the user's current role could not hold counts
for nothing, whoever wrote the row. Group grants count only for the users who hold them through
a group (``holds_group_grants``: supervisors, superior prosecutors) while they are active, and then
only through the groups their role, unit and flag imply (``accounts.groups.derived_memberships``).
Administrators hold no grant and the superuser flag is ignored (DESIGN §1, §4).
"""

from __future__ import annotations

from accounts.choices import Role

VIEW, CHANGE, ASSIGN, APPROVE, AUDIT = "view", "change", "assign", "approve", "audit"
# The supervising prosecutor's own decisions (issue #17): agreeing to or refusing an act, extending
# the term, returning a case for additional investigation, cancelling a termination. They are
# decisions about the file, never edits of its content: no form of the prosecutor's changes a case,
# a participant, an act's text or evidence (they hold no CHANGE).
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
PROSECUTOR_ACTIONS = (VIEW, AUDIT, PROSECUTE)
SUPERVISOR_ACTIONS = (VIEW, ASSIGN, APPROVE, AUDIT)
# What each role can ever do on a case; an administrator reads no case content (DESIGN §1).
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.INVESTIGATOR: frozenset(INVESTIGATOR_ACTIONS),
    Role.PROSECUTOR: frozenset(PROSECUTOR_ACTIONS),
    Role.SUPERVISOR: frozenset(SUPERVISOR_ACTIONS),
    Role.ADMINISTRATOR: frozenset(),
}
# The roles whose grants may come through a group: the unit supervisors' groups, and the office
# superiors' groups of the prosecutors designated superior (accounts/groups.py).
GROUP_ROLES = frozenset({Role.SUPERVISOR, Role.PROSECUTOR})


def role_allows(user, action: str) -> bool:
    """Whether ``user``'s current role can hold ``action`` at all (unknown roles: nothing)."""
    return action in ROLE_ACTIONS.get(getattr(user, "role", ""), frozenset())


def holds_group_grants(user) -> bool:
    """Whether to look for ``user``'s group grants at all: an active supervisor or superior prosecutor.
    Only a shortcut that spares everyone else the query: which memberships count is decided in the
    query from the stored user (``accounts.groups.derived_memberships``), not from this object."""
    role = getattr(user, "role", None)
    if not user.is_active or role not in GROUP_ROLES:
        return False
    return role != Role.PROSECUTOR or bool(getattr(user, "superior_prosecutor", False))


def codename(action: str) -> str:
    try:
        return CODENAMES[action]
    except KeyError:
        raise ValueError(f"unknown case action {action!r}; known: {sorted(CODENAMES)}") from None


# Not a grant of its own: who may export the case file follows from the grants and the people the
# case names. The grants do not tell the lead from the group (both hold ``change``), nor the
# prosecutor from other readers (``view``), so those two are the case's ``lead_investigator`` and
# ``prosecutor`` among the holders of that grant; a supervisor is whoever may ``assign``. A superior
# prosecutor of the office, who holds the same ``view`` through their office's group, does not
# export: the export hands the whole file out of the system, which DESIGN §4 leaves to the people
# the case names and its heads of unit; the superior reads, audits and decides, and exports once
# named the case's prosecutor.
EXPORT = "export"
# The rendering worker's step (``act_transitions.SYSTEM``): no person holds it (cases/system_actor.py).
SYSTEM = "system"


def derived_actions(user, case, held: set[str]) -> set[str]:
    """The actions that follow from ``held`` (the user's grants on ``case``) and the case's people."""
    derived = set()
    if (
        ASSIGN in held
        or (VIEW in held and case.prosecutor_id == user.pk)
        or (CHANGE in held and case.lead_investigator_id == user.pk)
    ):
        derived.add(EXPORT)
    return derived
