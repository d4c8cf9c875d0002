"""History on every change of case data (DESIGN §6, first layer).

Every model holding case data declares ``history = case_history(...)`` and uses
``CaseDataQuerySet``. Together they guarantee three things:

* every history row names an acting user: a save without ``attribute(obj, actor=..., reason=...)``
  raises instead of writing an anonymous row (Celery tasks and management commands pass
  their actor explicitly, there is no request to take it from);
* writes that would skip simple-history's signals (``QuerySet.update()``, ``bulk_update()``)
  are refused, and ``bulk_create()`` writes the history rows itself;
* nothing of a case is ever hard-deleted (withdrawal with a reason instead), and no history
  row is changed or deleted through the ORM either (``HistoryQuerySet``; the database refuses
  it too, see audit/triggers.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections, models
from simple_history import utils as history_utils
from simple_history.manager import HistoricalQuerySet
from simple_history.models import HistoricalRecords


class HistoryBypassError(RuntimeError):
    """A write was attempted that would change case data without a history row."""


class HardDeleteError(RuntimeError):
    """Case material is withdrawn with a reason, never deleted."""


class MissingActorError(RuntimeError):
    """A case-data change was saved without naming who made it."""


def attribute(obj: models.Model, *, actor, reason: str | None) -> models.Model:
    """Name the actor and the reason that the next history row of ``obj`` records (None: no reason, a NULL)."""
    # simple-history reads these two instance attributes; Model's type does not declare them.
    setattr(obj, "_history_user", actor)  # noqa: B010
    setattr(obj, "_change_reason", reason)  # noqa: B010
    return obj


def _require_explicit_actor(request=None, instance=None, **kwargs):
    # Called by simple-history only when the instance carries no ``_history_user``.
    raise MissingActorError(
        f"{type(instance).__name__} saved without an actor: call ecase.history.attribute() in the service"
    )


class HistoryQuerySet(HistoricalQuerySet):
    """History rows are written once: ``Model.history`` refuses to update or delete them."""

    def update(self, **kwargs):
        raise HistoryBypassError(f"{self.model.__name__} rows are history: they are never changed")

    def bulk_update(self, objs, fields, batch_size=None):
        raise HistoryBypassError(f"{self.model.__name__} rows are history: they are never changed")

    def delete(self):
        raise HardDeleteError(f"{self.model.__name__} rows are history: they are never deleted")

    # As on QuerySet.delete: not copied onto the manager, so ``Model.history.delete()`` does not exist
    # (set with setattr: a function's attributes have no type).
    setattr(delete, "queryset_only", True)  # noqa: B010


class CaseHistoricalRecords(HistoricalRecords):
    """simple-history whose many-to-many snapshot is copied inside the database.

    simple-history records, with every history row, the then current rows of each many-to-many
    field (a case's articles and group): it reads them (joined to both ends, for nothing but their
    ids) and inserts them back, a read and an insert per field, and the read returns the whole case row
    once per member. ``INSERT … SELECT`` copies the same rows in one statement per field and
    returns nothing (issue #15: a case update ran 31 statements). The rows recorded are the same:
    every column of the through row plus the history row it belongs to. simple-history's
    ``pre/post_create_historical_m2m_records`` signals are not sent: nothing in ecase listens to them.
    """

    def create_historical_record_m2ms(self, history_instance, instance):
        connection = connections[history_instance._state.db]
        quote = connection.ops.quote_name
        for field in history_instance._history_m2m_fields:
            history_model = self.m2m_models[field]
            through = field.remote_field.through
            owner = through._meta.get_field(history_utils.get_m2m_field_name(field))
            columns = [f.column for f in through._meta.concrete_fields]
            targets = [history_model._meta.get_field(f.name).column for f in through._meta.concrete_fields]
            targets.append(history_model._meta.get_field("history").column)
            sql = (
                f"INSERT INTO {quote(history_model._meta.db_table)} ({', '.join(map(quote, targets))}) "
                f"SELECT {', '.join(map(quote, columns))}, %s FROM {quote(through._meta.db_table)} "
                f"WHERE {quote(owner.column)} = %s"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [history_instance.pk, instance.pk])


def case_history(**kwargs: Any) -> HistoricalRecords:
    """simple-history configured for case data: explicit actor, free-text reason, history kept forever."""
    return CaseHistoricalRecords(
        get_user=_require_explicit_actor,
        history_change_reason_field=models.TextField(null=True),
        cascade_delete_history=False,
        historical_queryset=HistoryQuerySet,
        **kwargs,
    )


class CaseDataQuerySet(models.QuerySet):
    """QuerySet for models with history: no write may bypass it."""

    def update(self, **kwargs):
        raise HistoryBypassError(
            f"{self.model.__name__}.objects.update() would skip history; save each object through its service"
        )

    def bulk_update(self, objs, fields, batch_size=None):
        raise HistoryBypassError(f"{self.model.__name__}.objects.bulk_update() would skip history")

    def bulk_create(self, objs: Iterable[models.Model], *args, actor=None, reason: str = "", **kwargs):
        """Insert ``objs`` and their history rows; the actor is mandatory, as for a single save."""
        if actor is None:
            raise MissingActorError(f"{self.model.__name__}.objects.bulk_create() needs actor=")
        created = super().bulk_create(objs, *args, **kwargs)
        self.model.history.bulk_history_create(
            created, batch_size=kwargs.get("batch_size"), default_user=actor, default_change_reason=reason
        )
        return created

    def delete(self):
        raise HardDeleteError(f"{self.model.__name__} rows are withdrawn, never deleted")


class CaseDataModel(models.Model):
    """Base of every model holding case data: history-safe queryset, no hard delete.

    A subclass declares its own manager as ``objects: ClassVar = SomeQuerySet.as_manager()``: the
    manager here is a class variable to django-stubs, which types the override from its query set.
    """

    objects = CaseDataQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise HardDeleteError(f"{type(self).__name__} rows are withdrawn, never deleted")


class Withdrawable(models.Model):
    """Withdrawal instead of deletion: who, when and why (CPC: materials may not leave the file)."""

    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                name="%(app_label)s_%(class)s_withdrawal_complete",
                condition=(
                    models.Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True, withdrawal_reason="")
                    | (
                        models.Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False)
                        & ~models.Q(withdrawal_reason="")
                    )
                ),
            )
        ]

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


def save_attributed(
    obj: models.Model,
    *,
    actor,
    reason: str,
    exclude: list[str] | None = None,
    validate_constraints: bool = True,
    **save_kwargs,
) -> None:
    """Validate ``obj`` (model validation, constraints included) and save it with its history row.

    ``validate_constraints=False`` is for a caller whose model restates every check constraint in
    its field or ``clean`` validation (the database enforces them at the save in any case): Django
    tests each constraint with a query of its own, three statements with their savepoint.
    """
    obj.full_clean(exclude=exclude, validate_constraints=validate_constraints)
    attribute(obj, actor=actor, reason=reason)
    obj.save(**save_kwargs)
