"""The one place that answers "may this user do this to this object" (DESIGN §4, issue #14).

* ``rules``: the actions, their permission codenames, what each role can ever hold, derived actions;
* ``scope``: the grants a user holds — ``restrict`` (behind ``Case.objects.restrict``) and
  ``allowed_actions`` / ``case_actions`` / ``may``, one query shape for lists and for one case;
* ``grants``: the grants a case's assignment implies, kept in step by ``sync_grants`` / ``resync_user``;
* ``objects``: the way from an object of case data to its case;
* ``grave``: the grave-case second-factor rule applied to lists and to objects;
* ``locking``: ``locked`` / ``lock_case``, the re-check under the row lock every write starts with;
* ``views`` and ``api``: the base views of the pages and of the JSON API (imported from there,
  not re-exported here: they pull in the web stack).

Callers write ``from cases import access`` and ``access.VIEW``, ``access.locked(...)``.
"""

from __future__ import annotations

from .rules import (  # first: cases.act_transitions reads the actions while the models load
    APPROVE,
    ASSIGN,
    AUDIT,
    CHANGE,
    CODENAMES,
    EXPORT,
    GROUP_ROLES,
    INVESTIGATOR_ACTIONS,
    PROSECUTE,
    PROSECUTOR_ACTIONS,
    ROLE_ACTIONS,
    SUPERVISOR_ACTIONS,
    SYSTEM,
    VIEW,
    codename,
    derived_actions,
    holds_group_grants,
    role_allows,
)

from .scope import allowed_actions, case_actions, may  # isort: skip
from .grants import desired_group_grants, desired_user_grants, resync_user, sync_grants  # isort: skip
from .objects import case_gravity_of, case_id_for, case_id_of, case_path  # isort: skip
from .grave import grave_hidden_for, is_grave, second_factor_check, without_grave  # isort: skip
from .locking import case_check, lock_case, locked, reach, require, run_case_checks  # isort: skip

__all__ = [
    "APPROVE",
    "ASSIGN",
    "AUDIT",
    "CHANGE",
    "CODENAMES",
    "EXPORT",
    "GROUP_ROLES",
    "INVESTIGATOR_ACTIONS",
    "PROSECUTE",
    "PROSECUTOR_ACTIONS",
    "ROLE_ACTIONS",
    "SUPERVISOR_ACTIONS",
    "SYSTEM",
    "VIEW",
    "allowed_actions",
    "case_actions",
    "case_check",
    "case_gravity_of",
    "case_id_for",
    "case_id_of",
    "case_path",
    "codename",
    "derived_actions",
    "desired_group_grants",
    "desired_user_grants",
    "grave_hidden_for",
    "holds_group_grants",
    "is_grave",
    "lock_case",
    "locked",
    "may",
    "reach",
    "require",
    "resync_user",
    "role_allows",
    "run_case_checks",
    "second_factor_check",
    "sync_grants",
    "without_grave",
]
