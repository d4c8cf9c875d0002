"""The history of a case as one timeline: history rows (what changed, from → to, why) merged
with the case's audit events (decisions, and for those who may read the access log, reads).

Used by the history screen and by the case-file export. The rows come from every model with
history that hangs off the case (found through the case's reverse relations, so evidence needs
no import here) and from ``audit.AuditEvent`` by ``case_id``.

A page costs a fixed number of queries whatever its length: one UNION for the keys of the
page, one for the total, then per source the page's rows, their predecessors (for the diff),
the many-to-many links of both, and one query per model the changed foreign keys point to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.db.models import F, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _
from simple_history.utils import get_history_manager_for_model

from audit.choices import ACCESS_EVENTS
from audit.models import AuditEvent

from .models import Case

TEXT_LIMIT = 300
EVENT_SOURCE = -1

# What a field is called on the forms that edit it, for fields whose model gives no verbose name
# (Django would show "proceedings form", "lead investigator": the code's words, in English).
FIELD_LABELS = {
    "event_date": gettext_lazy("Date of the offence"),
    "proceedings_form": gettext_lazy("Form of pre-trial proceedings"),
    "status": gettext_lazy("Status"),
    "gravity": gettext_lazy("Gravity"),
    "unit": gettext_lazy("Unit"),
    "lead_investigator": gettext_lazy("Lead investigator"),
    "group": gettext_lazy("Investigative group"),
    "prosecutor": gettext_lazy("Supervising prosecutor"),
    "supervisor": gettext_lazy("Supervisor"),
    "plot": gettext_lazy("Plot"),
    "deadline": gettext_lazy("Deadline"),
    "articles": gettext_lazy("Qualification"),
    "registered_at": gettext_lazy("Registered"),
    "role": gettext_lazy("Role"),
    "iin": gettext_lazy("IIN"),
    "last_name": gettext_lazy("Surname"),
    "first_name": gettext_lazy("Name"),
    "middle_name": gettext_lazy("Patronymic"),
    "birth_date": gettext_lazy("Date of birth"),
    "sex": gettext_lazy("Sex"),
    "address": gettext_lazy("Address"),
    "phone": gettext_lazy("Phone"),
    "number": gettext_lazy("Number"),
}


def field_label(f) -> str:
    """A field as the forms call it: its own verbose name where the model gives one, else FIELD_LABELS."""
    default = f.name.replace("_", " ")
    if str(f.verbose_name) != default:
        return str(f.verbose_name)
    return str(FIELD_LABELS.get(f.name, f.verbose_name))


@dataclass(frozen=True)
class Source:
    """A model with history that belongs to a case, and how its history rows name the case."""

    model: type[models.Model]
    lookup: str  # on the historical model, e.g. "case_id" or "item_id__in"
    parent: type[models.Model] | None = None  # for two-step paths: the model whose ids ``lookup`` takes

    def history_of(self, case_id: int) -> models.QuerySet:
        history = get_history_manager_for_model(self.model).all()
        if self.parent is None:
            return history.filter(**{self.lookup: case_id})
        return history.filter(**{self.lookup: self.parent._default_manager.filter(case_id=case_id).values("pk")})


def _has_history(model) -> bool:
    return hasattr(model._meta, "simple_history_manager_attribute")


def case_sources() -> list[Source]:
    """The case, then every model with history one or two foreign keys below it (breadth first)."""
    sources = [Source(Case, "id")]
    seen: set[type[models.Model]] = {Case}
    level = []
    for rel in Case._meta.related_objects:
        model = _model_of(rel)
        if rel.one_to_many and _has_history(model) and model not in seen:
            seen.add(model)
            sources.append(Source(model, f"{rel.field.attname}"))
            level.append(model)
    for parent in level:
        for rel in parent._meta.related_objects:
            model = _model_of(rel)
            if rel.one_to_many and _has_history(model) and model not in seen:
                seen.add(model)
                sources.append(Source(model, f"{rel.field.attname}__in", parent))
    return sources


def _model_of(rel: models.ForeignObjectRel) -> type[models.Model]:
    model = rel.related_model
    assert not isinstance(model, str)  # "self" and lazy names are resolved once the apps are loaded
    return model


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime
    who: str
    what: str
    subject: str = ""
    changes: list[Change] = field(default_factory=list)
    why: str = ""
    kind: str = "history"  # "history" or "event"
    event: str = ""  # the audit event's type (EventType value), for events
    outcome: str = ""
    address: str = ""


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return pgettext("value of a yes/no field", "yes") if value else pgettext("value of a yes/no field", "no")
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "d.m.Y H:i")
    if isinstance(value, date):
        return date_format(value, "d.m.Y")
    text = str(value)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _person(user) -> str:
    if user is None:
        return _("system")
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full} ({user.get_username()})" if full else user.get_username()


class _Page:
    """Resolves one page of (source, key) pairs into entries with a bounded number of queries."""

    def __init__(self, sources: list[Source], include_access: bool):
        self.sources, self.include_access = sources, include_access

    def entries(self, keys: list[tuple[datetime, int, int]]) -> list[Entry]:
        by_source = defaultdict(list)
        for _when, source, key in keys:
            by_source[source].append(key)
        built: dict[tuple[int, int], Entry] = {}
        if EVENT_SOURCE in by_source:
            for event in AuditEvent.objects.filter(pk__in=by_source.pop(EVENT_SOURCE)):
                built[(EVENT_SOURCE, event.pk)] = self._event_entry(event)
        for index, keys_ in by_source.items():
            for key, entry in self._history_entries(self.sources[index], keys_).items():
                built[(index, key)] = entry
        return [built[(source, key)] for _when, source, key in keys if (source, key) in built]

    # --- audit events -----------------------------------------------------------------------
    def _event_entry(self, event: AuditEvent) -> Entry:
        data = event.data if isinstance(event.data, dict) else {}
        changes = []
        before, after = data.get("from"), data.get("to")
        if isinstance(before, dict) and isinstance(after, dict):
            changes = [
                Change(k, _text(before.get(k)), _text(after.get(k)))
                for k in sorted(set(before) | set(after))
                if before.get(k) != after.get(k)
            ]
        elif "from" in data or "to" in data:
            changes = [Change(str(data.get("action", "")), _text(before), _text(after))]
        return Entry(
            when=event.occurred_at,
            who=event.actor_label,
            what=str(event.get_event_display()),
            subject=f"{event.target_type} {event.target_id}".strip(),
            changes=changes,
            why=str(data.get("reason", "") or ""),
            kind="event",
            event=event.event,
            outcome=str(event.get_outcome_display()),
            address=(event.ip or "") if self.include_access else "",
        )

    # --- history rows -------------------------------------------------------------------------
    def _history_entries(self, source: Source, keys: list[int]) -> dict[int, Entry]:
        history = get_history_manager_for_model(source.model).model
        previous = history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id")).order_by(
            "-history_id"
        )
        rows = list(
            history.objects.filter(history_id__in=keys)
            .select_related("history_user")
            .annotate(previous_id=Subquery(previous.values("history_id")[:1]))
        )
        prior = {
            r.history_id: r
            for r in history.objects.filter(history_id__in=[r.previous_id for r in rows if r.previous_id])
        }
        # Fields the history leaves out (derived ones such as Person.search_name) have no column to compare.
        kept = {f.attname for f in history._meta.concrete_fields}
        fields = [f for f in source.model._meta.concrete_fields if f.attname in kept]
        m2m = self._m2m(history, [*keys, *prior])
        labels = self._labels(fields, [*rows, *prior.values()], m2m)
        result = {}
        for row in rows:
            before = prior.get(row.previous_id)
            result[row.history_id] = self._history_entry(source, row, before, fields, m2m, labels)
        return result

    def _m2m(self, history, history_ids) -> dict[str, tuple[type[models.Model], dict[int, set]]]:
        """{field: (related model, {history_id: {related ids}})} for the historical many-to-many fields of ``history``."""
        found: dict[str, tuple[type[models.Model], dict[int, set]]] = {}
        for f in getattr(history, "_history_m2m_fields", []):
            link_model = getattr(history, f.name).model
            target = next(
                x
                for x in link_model._meta.concrete_fields
                if x.is_relation and x.name not in ("history",) and x.related_model is f.related_model
            )
            links: defaultdict[int, set] = defaultdict(set)
            # A case's qualification records the point of each part (CaseArticle.point): a new point is a change.
            pointed = any(x.name == "point" for x in link_model._meta.concrete_fields)
            columns = ("history_id", target.attname, "point") if pointed else ("history_id", target.attname)
            for history_id, target_id, *point in link_model.objects.filter(history_id__in=history_ids).values_list(
                *columns
            ):
                links[history_id].add((target_id, point[0]) if pointed else target_id)
            found[f.name] = (f.related_model, links)
        return found

    def _labels(self, fields, rows, m2m) -> dict[type, dict[Any, str]]:
        wanted = defaultdict(set)
        for f in fields:
            if f.is_relation and f.related_model is not None:
                for row in rows:
                    value = getattr(row, f.attname, None)
                    if value is not None:
                        wanted[f.related_model].add(value)
        for model, links in m2m.values():
            for ids in links.values():
                wanted[model].update(i[0] if isinstance(i, tuple) else i for i in ids)
        # select_related(): a label that names a related row (a participant names its person) costs no query each.
        return {
            model: {o.pk: str(o) for o in model._default_manager.filter(pk__in=ids).select_related()}
            for model, ids in wanted.items()
        }

    def _value(self, f, row, labels) -> str:
        value = getattr(row, f.attname)
        if f.is_relation and value is not None:
            return labels.get(f.related_model, {}).get(value, f"#{value}")
        if f.choices and value not in (None, ""):
            return str(dict(f.flatchoices).get(value, value))
        return _text(value)

    def _history_entry(self, source, row, before, fields, m2m, labels) -> Entry:
        model_name = str(source.model._meta.verbose_name)
        # Bare participles after a model name: the context tells translators which form fits (ru: neuter).
        verb = {
            "+": pgettext("history: a record was", "created"),
            "~": pgettext("history: a record was", "changed"),
            "-": pgettext("history: a record was", "deleted"),
        }.get(row.history_type, row.history_type)
        changes = []
        for f in fields:
            if f.primary_key or f.name in ("version", "updated_at"):
                continue
            new = self._value(f, row, labels)
            old = self._value(f, before, labels) if before is not None else "—"
            if new != old and not (before is None and new == "—"):
                changes.append(Change(field_label(f), old if before is not None else "—", new))
        for name, (model, links) in m2m.items():
            new_ids, old_ids = (
                links.get(row.history_id, set()),
                links.get(before.history_id, set()) if before else set(),
            )
            if new_ids != old_ids:

                def show(ids, model=model):
                    return "; ".join(sorted(_link_label(labels.get(model, {}), i) for i in ids)) or "—"

                field_ = source.model._meta.get_field(name)
                changes.append(Change(field_label(field_), show(old_ids), show(new_ids)))
        return Entry(
            when=row.history_date,
            who=_person(row.history_user),
            what=f"{model_name.capitalize()} {verb}",
            subject=f"{model_name} #{row.id}",
            changes=changes,
            why=row.history_change_reason or "",
        )


def _link_label(labels: dict, link) -> str:
    """A linked row's label; a part of a qualification with its point (cases/qualification.py)."""
    if not isinstance(link, tuple):
        return labels.get(link, f"#{link}")
    target, point = link
    label = labels.get(target, f"#{target}")
    if not point:
        return label
    if get_language() == "kk":  # "190-бап 2-бөлік — …" reads "190-бап 2-бөлік 4-тармақ — …"
        head, dash, title = label.partition(" — ")
        return f"{head} {point}-тармақ{dash}{title}"
    return f"п. {point} {label}"


class CaseTimeline:
    """The merged history of ``case``, newest first, sliceable and countable (for a Paginator)."""

    def __init__(self, case: Case, *, include_access: bool):
        self.case, self.include_access = case, include_access
        self.sources = case_sources()

    def _keys(self) -> models.QuerySet:
        # Every part drops its model's default ordering (.order_by()): SQLite refuses an ORDER BY
        # inside a compound statement, PostgreSQL ignores it there anyway; the union is ordered once.
        parts = [
            source.history_of(self.case.pk)
            .order_by()
            .annotate(ts=F("history_date"), src=Value(index), key=F("history_id"))
            .values_list("ts", "src", "key")
            for index, source in enumerate(self.sources)
        ]
        events = AuditEvent.objects.filter(case_id=self.case.pk)
        if not self.include_access:
            events = events.exclude(event__in=ACCESS_EVENTS)
        parts.append(
            events.order_by()
            .annotate(ts=F("occurred_at"), src=Value(EVENT_SOURCE), key=F("id"))
            .values_list("ts", "src", "key")
        )
        return parts[0].union(*parts[1:], all=True)

    def count(self) -> int:
        return self._keys().count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Entry]:
        keys = list(self._keys().order_by("-ts", "-src", "-key")[index])
        return _Page(self.sources, self.include_access).entries(keys)

    def iterate(self, *, chunk: int = 500, oldest_first: bool = True) -> Iterator[Entry]:
        """Every entry, in chunks (for the export's history report)."""
        ordering = ("ts", "src", "key") if oldest_first else ("-ts", "-src", "-key")
        offset = 0
        while True:
            keys = list(self._keys().order_by(*ordering)[offset : offset + chunk])
            if not keys:
                return
            yield from _Page(self.sources, self.include_access).entries(keys)
            offset += chunk


def case_changes(case: Case, limit: int) -> list[Entry]:
    """The newest ``limit`` history rows of the case itself, each with what it changed (field: old → new).

    The case page's history tab: the same diff as the full history screen, for the case's own
    row only, in a fixed number of queries.
    """
    source = Source(Case, "id")
    keys = list(source.history_of(case.pk).order_by("-history_id").values_list("history_id", flat=True)[:limit])
    entries = _Page([source], include_access=False)._history_entries(source, keys)
    return [entries[key] for key in keys if key in entries]
