"""The one place that answers "may this user do this to this object" (DESIGN §4, issue #14).

* ``rules``: the actions, their permission codenames and what each role can ever hold;
* ``grants``: the grants a case's assignment implies, kept in step by ``sync_grants`` / ``resync_user``;
* ``grave``: the grave-case second-factor rule applied to lists and objects;
* ``locking``: ``lock_case`` and ``locked``, the re-check under the row lock every write starts with;
* ``views`` and ``api``: the base views of the pages and of the JSON API (imported from there,
  not re-exported here: they pull in the web stack).

``Case.objects.restrict(user, action)`` (cases/models/case.py) is the read path; it asks this
package's rules. Callers write ``from cases import access`` and ``access.VIEW``, ``access.lock_case``.
"""

from __future__ import annotations

# Kept for cases/demo (moving out to demo/, another helper), which builds grants in bulk.
from .grants import _ancestor_paths as _ancestor_paths
from .grants import (
    allowed_actions,
    desired_group_grants,
    desired_user_grants,
    resync_user,
    sync_grants,
)
from .grave import grave_hidden_for, is_grave, without_grave
from .locking import case_guard, check_guards, lock_case, require
from .rules import (
    APPROVE,
    ASSIGN,
    AUDIT,
    CHANGE,
    CODENAMES,
    GROUP_ROLES,
    INVESTIGATOR_ACTIONS,
    PROSECUTE,
    PROSECUTOR_ACTIONS,
    ROLE_ACTIONS,
    SUPERVISOR_ACTIONS,
    VIEW,
    codename,
    holds_group_grants,
    role_allows,
)

__all__ = [
    "APPROVE",
    "ASSIGN",
    "AUDIT",
    "CHANGE",
    "CODENAMES",
    "GROUP_ROLES",
    "INVESTIGATOR_ACTIONS",
    "PROSECUTE",
    "PROSECUTOR_ACTIONS",
    "ROLE_ACTIONS",
    "SUPERVISOR_ACTIONS",
    "VIEW",
    "allowed_actions",
    "case_guard",
    "check_guards",
    "codename",
    "desired_group_grants",
    "desired_user_grants",
    "grave_hidden_for",
    "holds_group_grants",
    "is_grave",
    "lock_case",
    "require",
    "resync_user",
    "role_allows",
    "sync_grants",
    "without_grave",
]
