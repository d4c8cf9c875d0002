"""What-if measurements for changes proposed to files the benchmark does not own.

``restrict_proposed`` is a drop-in shape for ``CaseQuerySet.restrict`` (cases/models/case.py):

* the permission id and the user's group ids are looked up first (two tiny indexed queries,
  cacheable per request), so the grant subqueries filter ``permission_id = %s`` and
  ``group_id IN (...)`` directly — no joins to auth_permission, django_content_type,
  auth_group and the user-groups table, and the planner sees real row estimates;
* a user without groups (investigators, prosecutors: a few dozen grants) keeps
  ``pk IN (grants)``, driven by the grant index;
* a user in supervisors' groups (tens of thousands of cases) gets
  ``EXISTS (user grant) OR EXISTS (group grant)``, which PostgreSQL runs as two hashed
  subplans while it walks cases in the list's order — given an index on that order
  (``CREATE INDEX ... ON cases_case (registered_at DESC, id)``) it stops after one page.

``with_registered_at_index`` builds that index for the duration of a measurement and drops it.
"""
from __future__ import annotations

from contextlib import contextmanager

from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Exists, OuterRef

from cases.access import codename
from cases.models import Case, CaseGroupObjectPermission, CaseUserObjectPermission

INDEX_NAME = "bench_case_registered_desc"


def permission_id(action: str) -> int:
    return Permission.objects.get(content_type__app_label="cases", content_type__model="case",
                                  codename=codename(action)).pk


def restrict_proposed(user, action: str = "view"):
    if user is None or not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    perm = permission_id(action)
    groups = list(user.groups.values_list("pk", flat=True))
    by_user = CaseUserObjectPermission.objects.filter(user_id=user.pk, permission_id=perm)
    if not groups:
        return Case.objects.filter(pk__in=by_user.values("content_object_id"))
    by_group = CaseGroupObjectPermission.objects.filter(group_id__in=groups, permission_id=perm)
    return Case.objects.filter(Exists(by_user.filter(content_object_id=OuterRef("pk")))
                               | Exists(by_group.filter(content_object_id=OuterRef("pk"))))


@contextmanager
def with_registered_at_index():
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON cases_case (registered_at DESC, id)")
        cursor.execute("ANALYZE cases_case")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
