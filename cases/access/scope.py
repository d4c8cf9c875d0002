"""Which grants a user holds: the one query shape behind ``restrict`` and ``allowed_actions`` (DESIGN §4).

Only object grants count: no model-level permission, no superuser bypass; an anonymous or
inactive user holds nothing, nor does a role that cannot hold the action (``rules.ROLE_ACTIONS``);
group grants count only through the groups the user's role, unit and flag imply (supervisors,
superior prosecutors: ``_group_ids``). Both
functions below read the same two grant tables the same way — the permission id and the user's
group ids looked up first (both cached), then ``permission_id`` / ``group_id IN (…)`` on the grant
indexes — so "may this user do this" has one answer whether asked for a list or for one case.
One exception of shape, not of answer: a supervisor's list reads their group's grants by the rule
they are derived from (the unit's subtree, grave cases left out) on the case's scope columns.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import DEFAULT_DB_ALIAS
from django.db.models import BigIntegerField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.db.models.signals import m2m_changed, post_migrate
from django.dispatch import receiver

from accounts.choices import Role
from accounts.groups import derived_memberships

from ..choices import Gravity
from .rules import (
    CODENAMES,
    ROLE_ACTIONS,
    SUPERVISOR_ACTIONS,
    codename,
    derived_actions,
    holds_group_grants,
    role_allows,
)

# A query set of cases: restrict() returns the same class it narrows (CaseQuerySet for Case.objects).
_Rows = TypeVar("_Rows", bound=QuerySet)

# Permission ids per (database alias, codename). Permissions are rows created by migrate and
# never change while the process runs, so restrict() need not look them up on every call. A
# flush or migrate (the test suite's TransactionTestCase, a fresh test database) re-creates them
# with new ids, hence the cache is dropped on post_migrate; the alias keeps a process that talks
# to two databases (tests, the benchmark) from mixing their ids.
_PERMISSION_IDS: dict[tuple[str, str], int] = {}


def _permission_id(alias: str, action: str) -> int | None:
    key = (alias, codename(action))  # codename() refuses an unknown action before anything is cached
    if key not in _PERMISSION_IDS:
        # One read caches every case permission, so a first allowed_actions() costs one query, not five.
        rows = Permission.objects.using(alias).filter(
            content_type__app_label="cases", content_type__model="case", codename__in=CODENAMES.values()
        )
        for pk, name in rows.values_list("pk", "codename"):
            _PERMISSION_IDS[(alias, name)] = pk
    return _PERMISSION_IDS.get(key)  # None, not cached: the permission may appear with the next migrate


@receiver(post_migrate, dispatch_uid="cases.restrict.forget_permission_ids")
def _forget_permission_ids(**kwargs) -> None:
    _PERMISSION_IDS.clear()


# The user's group ids are kept on the user object. A request loads its user afresh, so this is
# one query per request instead of one per restrict() call (the case page calls it several times);
# Django's ModelBackend caches permissions on the user the same way. Membership changes through
# ``user.groups`` drop the cached ids (below); a change made from the group's side
# (``group.user_set``) is seen by user objects loaded afterwards.
_GROUPS_ATTR = "_restrict_group_ids"


def _memberships(user, alias: str) -> tuple[tuple[int, ...], tuple[int, str] | None]:
    """The ids of the groups whose grants count for ``user``: only the memberships their stored role,
    unit, superior-prosecutor flag and activity imply (``accounts.groups.derived_memberships``), so a
    membership added by hand (a prosecutor in a unit's supervisors' group, an investigator in an
    office's superiors' group) counts for nothing, even before ``sync_memberships`` removes it.

    With them, read by the same query: for a supervisor's own unit's supervisors' group, that unit
    (id, path) as stored now — the subtree whose non-grave cases the group is granted (restrict)."""
    cached = getattr(user, _GROUPS_ATTR, None)
    if cached is None or cached[0] != alias:
        rows = derived_memberships(user.pk, using=alias).values_list(
            "group_id", "user__role", "user__unit_id", "user__unit__path"
        )
        ids, supervised = [], None
        for group_id, role, unit_id, path in rows:
            ids.append(group_id)
            if role == Role.SUPERVISOR:  # derived_memberships: the supervisors' group of their own unit
                supervised = (unit_id, path)
        cached = (alias, tuple(ids), supervised)
        setattr(user, _GROUPS_ATTR, cached)
    return cached[1], cached[2]


def _group_ids(user, alias: str) -> tuple[int, ...]:
    return _memberships(user, alias)[0]


@receiver(m2m_changed, dispatch_uid="cases.restrict.forget_group_ids")
def _forget_group_ids(sender, instance, **kwargs) -> None:
    if sender is get_user_model().groups.through and _GROUPS_ATTR in vars(instance):
        delattr(instance, _GROUPS_ATTR)


# A supervisor's view grants through groups up to this many make a "small" scope (restrict below).
# Cost of a page either way at 1,000,000 cases: reading the scope grant-first costs about one
# primary-key fetch per visible case; walking the list's order costs about (page size × cases ÷
# visible cases) index probes. They meet near √(50 × 1,000,000) ≈ 7,000 visible cases.
SMALL_SCOPE = 5_000
_SCOPE_ATTR = "_restrict_large_scopes"


def _large_scope(user, alias: str, perm: int, by_group: QuerySet) -> bool:
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


class _Probed(Exists):
    """``EXISTS (… LIMIT 1 OFFSET 0)``: tested for each row the outer query reads (as
    cases/selectors.py ``RowExists``). Inside an OR, PostgreSQL would otherwise hash every grant
    of the subquery before the first case; an OFFSET keeps the subquery as it is written."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


def _subtree(unit_id: int, path: str) -> Q:
    """The cases of the unit at ``path`` and of every unit below it, by the case's scope columns."""
    depth = path.count("/")
    # Compared as bigint, the columns' own type: the GIN indexes case_region_plot and
    # case_district_plot (migration 0022, btree_gin) serve only a same-type equality, and a bare
    # Python int is sent as an integer. The btree indexes serve either.
    unit = Cast(Value(unit_id), BigIntegerField())
    if depth == 1:
        return Q(region_unit_id=unit)
    if depth == 2:
        return Q(district_unit_id=unit)
    # Below the second level (no such unit holds cases today): the district's index, then the path.
    return Q(unit__path__startswith=path)


def _may_hold_anything(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def restrict(cases: _Rows, user, action: str) -> _Rows:
    """``cases`` narrowed to those ``user`` may ``action`` (``Case.objects.restrict``).

    The shape of the query is chosen for the planner (bench/RESULTS.md, restricted list):

    * The permission id and the user's group ids are looked up first (both cached, see
      ``_permission_id`` and ``_group_ids``), so the grant subqueries filter on plain
      ``permission_id = %s`` / ``group_id IN (…)``: no joins to auth_permission,
      django_content_type or the user-groups table, whose row estimates (1 row) made the
      planner misjudge the grant sets by orders of magnitude.
    * Without groups (investigators, prosecutors: a few to a few hundred grants) the cases
      are ``pk IN (user grants)``: PostgreSQL reads the grants from their index and fetches
      those cases by primary key.
    * A supervisor (holding their unit's supervisors' group): the unit's subtree by the case's
      columns ``region_unit`` / ``district_unit`` (migration cases 0021), and within it the non-grave
      cases or those of the supervisor's own grants: ``district_unit_id = %s AND (gravity < 4 OR
      EXISTS (user grant))``. PostgreSQL walks the index (district_unit, registered_at DESC, id DESC) and
      stops after one page, testing each case on its own row (until 2026-12 the group grants were
      probed per case: 5.1× the unrestricted page for a region at 1,000,000 cases, bench/RESULTS.md).
    * With other groups (superior prosecutors), by the size of the scope (``_large_scope``: fewer than
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
    from ..models import CaseGroupObjectPermission, CaseUserObjectPermission

    if not _may_hold_anything(user):
        return cases.none()
    perm = _permission_id(cases.db, action)
    if perm is None:  # not migrated yet: nobody can hold a grant that has no permission row
        return cases.none()
    # Rights follow the role (DESIGN §4): a grant the current role could not hold counts for
    # nothing, and groups count only for those who hold grants through one (supervisors, superior
    # prosecutors) and only through the groups derived for them, so a membership added by hand
    # reaches no case.
    if not role_allows(user, action):
        return cases.none()
    by_user = CaseUserObjectPermission.objects.using(cases.db).filter(user_id=user.pk, permission_id=perm)
    groups, supervised = _memberships(user, cases.db) if holds_group_grants(user) else ((), None)
    if supervised is not None and action in SUPERVISOR_ACTIONS:
        # The supervisors' group's grants are derived by one rule (grants._supervisors_grants): every
        # non-grave case of the unit's subtree. It is read here from the case's own columns instead of
        # the grant table. The supervisor's own grants (as the assigned supervisor: grave cases too) lie
        # in the same subtree (grants.desired_user_grants), so the subtree is a condition of the whole
        # set and the list walks its index (case_region_order, case_district_order) page by page.
        # tests/access/test_scope_columns.py compares this with the grant tables over a generated world.
        # Their own grants are probed only for the grave cases the walk meets (the OR is evaluated in
        # order), one unique-index probe each, never hashed first (_Probed).
        own = _Probed(by_user.filter(content_object_id=OuterRef("pk")))
        return cases.filter(_subtree(*supervised) & (Q(gravity__lt=Gravity.GRAVE) | Q(own)))
    if not groups:
        return cases.filter(pk__in=by_user.values("content_object_id"))
    by_group = CaseGroupObjectPermission.objects.using(cases.db).filter(group_id__in=groups, permission_id=perm)
    if not _large_scope(user, cases.db, perm, by_group):
        return cases.filter(
            pk__in=by_user.values("content_object_id").union(by_group.values("content_object_id"), all=True)
        )
    granted = by_user.filter(content_object_id=OuterRef("pk")).values("pk")
    return cases.filter(Exists(granted.union(by_group.filter(content_object_id=OuterRef("pk")).values("pk"), all=True)))


def allowed_actions(user, case_id: int, *, using: str = DEFAULT_DB_ALIAS) -> set[str]:
    """The actions ``user`` holds on one case, in one query: ``a in allowed_actions(u, c)`` exactly when
    ``Case.objects.restrict(u, a)`` contains case ``c`` (the same grants, rules and cached ids)."""
    from ..models import CaseGroupObjectPermission, CaseUserObjectPermission

    if not _may_hold_anything(user):
        return set()
    possible = {perm: action for action in ROLE_ACTIONS.get(user.role, ()) if (perm := _permission_id(using, action))}
    if not possible:
        return set()
    held = (
        CaseUserObjectPermission.objects.using(using)
        .filter(user_id=user.pk, content_object_id=case_id, permission_id__in=possible)
        .values_list("permission_id", flat=True)
    )
    groups = _group_ids(user, using) if holds_group_grants(user) else ()
    if groups:
        by_group = CaseGroupObjectPermission.objects.using(using).filter(
            group_id__in=groups, content_object_id=case_id, permission_id__in=possible
        )
        held = held.union(by_group.values_list("permission_id", flat=True))
    return {possible[perm] for perm in held}


def case_actions(user, case) -> set[str]:
    """Everything ``user`` may do on ``case`` now: the grants (``allowed_actions``) and what follows from them
    (``rules.derived_actions``: the export). The one answer for buttons, the API's ``actions`` and the services."""
    held = allowed_actions(user, case.pk, using=case._state.db or DEFAULT_DB_ALIAS)
    return held | derived_actions(user, case, held)


def may(user, case, action: str) -> bool:
    """Whether ``user`` may ``action`` the (visible) ``case``: ``action in case_actions(user, case)``."""
    return action in case_actions(user, case)
