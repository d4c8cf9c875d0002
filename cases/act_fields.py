"""Form fields for an act type's structured fields (the specs in ProceduralActType.fields).

Values are stored in ``ProceduralAct.fields`` as JSON: text as text, dates in ISO format,
participants and evidence items as ids, articles as their code. Required fields are enforced
when the act is submitted (ProceduralAct.clean), so a draft may be saved half-filled.

Saving a draft unchanged stores exactly what was stored (issue #13): a stored value is read back
into the field's own type (an ISO datetime with its offset becomes a datetime, shown in the
configured time zone), a stored choice that has left the offered set (a withdrawn participant, an
inactive article) is still offered, and a field the user did not change keeps its stored JSON
verbatim — ``2026-12-01T05:00:00+00:00`` is not rewritten as ``…T10:00:00+05:00``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, TypedDict

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from django.utils.text import Truncator
from django.utils.translation import get_language

from ecase.widgets import DateInput, DateTimeInput, TextareaField, TimeInput

from .choosers import ArticleChoiceField, ArticleMultipleChoiceField, SearchSelect, active_articles, article_label
from .forms import with_chosen
from .models import CriminalCodeArticle, Participant

PREFIX = "f_"


class _Common(TypedDict):
    """What every structured field is given."""

    label: str
    required: bool


def _label(spec: dict[str, Any]) -> str:
    if get_language() == "kk" and spec.get("label_kk"):
        return spec["label_kk"]
    return spec.get("label_ru", spec["name"])


def _ids(value) -> list:
    """The ids a stored participant / evidence value names (one id or a list of them)."""
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, int)]


def _field(spec: dict, case, stored=None) -> forms.Field:
    kind, common = spec.get("type", "text"), _Common(label=_label(spec), required=False)
    participants = (
        with_chosen(
            case.participants.filter(withdrawn_at__isnull=True).select_related("person"),
            _ids(stored),
            among=case.participants.all(),
        )
        if kind in ("participant", "participants")
        else None
    )
    if kind == "textarea":
        return TextareaField(widget=forms.Textarea(attrs={"rows": 3}), max_length=20000, **common)
    if kind == "date":
        return forms.DateField(widget=DateInput(), **common)
    if kind == "datetime":
        return forms.DateTimeField(widget=DateTimeInput(), **common)
    if kind == "time":
        return forms.TimeField(widget=TimeInput(), **common)
    if kind == "integer":
        return forms.IntegerField(min_value=0, **common)
    if kind == "choice":
        lang = "label_kk" if get_language() == "kk" else "label_ru"
        choices = [("", "—")] + [(c["value"], c.get(lang, c["value"])) for c in spec["choices"]]
        if isinstance(stored, str) and stored and stored not in {value for value, _label in choices}:
            choices.append((stored, stored))  # a value the reference data no longer lists: shown, kept
        return forms.ChoiceField(choices=choices, **common)
    # A reference field holds one id (or code) from this form, or a list of them (the demo generator, the
    # API): a stored list gets a multiple choice, so that saving it unchanged keeps every element.
    many = isinstance(stored, list)
    if kind == "participant":
        return (forms.ModelMultipleChoiceField if many else forms.ModelChoiceField)(queryset=participants, **common)
    if kind == "participants":
        return forms.ModelMultipleChoiceField(queryset=participants, **common)
    if kind == "evidence":
        items = with_chosen(
            case.evidence_items.filter(withdrawn_at__isnull=True), _ids(stored), among=case.evidence_items.all()
        )
        return (forms.ModelMultipleChoiceField if many else forms.ModelChoiceField)(queryset=items, **common)
    if kind == "article":
        articles = with_chosen(active_articles(), [a.pk for a in _articles(stored)])
        if many:
            return ArticleMultipleChoiceField(queryset=articles, **common)
        # Any active article may be chosen (a qualification act changes the case's); the <select> offers the
        # case's own articles and the search box finds the others (the whole Code was 18 KB per form).
        return ArticleChoiceField(
            queryset=articles,
            **common,
            widget=SearchSelect(
                url=reverse_lazy("cases:article-options"), offered=case.articles.filter(is_active=True), detached=True
            ),
        )
    return forms.CharField(max_length=1000, **common)


def _articles(codes) -> list[CriminalCodeArticle]:
    """The articles that stored codes ("188-1", or a list of them) name; an unknown code names none."""
    found = []
    for code in codes if isinstance(codes, list) else [codes]:
        number, _dash, part = code.rpartition("-") if isinstance(code, str) else ("", "", "")
        article = (
            CriminalCodeArticle.objects.filter(article=number, part=part).first() if number and part.isdigit() else None
        )
        if article is not None:
            found.append(article)
    return found


def add_structured_fields(form: forms.Form, act_type, case, values: dict | None = None) -> None:
    """Add the type's fields to ``form`` (prefixed), with initial values from a stored act.

    The initial values are set on a bound form too: ``structured_values`` compares against them.
    """
    for spec in act_type.fields:
        name = PREFIX + spec["name"]
        stored = (values or {}).get(spec["name"])
        form.fields[name] = _field(spec, case, stored)
        if stored is not None:
            form.initial[name] = _initial(form.fields[name], stored)


def _initial(field: forms.Field, value):
    """The stored JSON value as the field's own type, so the widget renders it the way the control accepts."""
    if (
        isinstance(field, forms.ModelChoiceField)
        and field.queryset is not None
        and field.queryset.model is CriminalCodeArticle
    ):
        articles = _articles(value)
        if isinstance(value, list):
            return articles
        return articles[0] if articles else None
    if isinstance(value, str):
        parse = {forms.DateTimeField: parse_datetime, forms.DateField: parse_date, forms.TimeField: parse_time}
        for kind, parser in parse.items():
            if isinstance(field, kind):
                try:
                    parsed = parser(value)
                except ValueError:
                    parsed = None
                if isinstance(parsed, datetime) and timezone.is_naive(parsed):
                    parsed = timezone.make_aware(parsed)  # a time without offset was meant in the configured zone
                return value if parsed is None else parsed
    return value


def _to_json(value):
    if hasattr(value, "pk"):
        return value.code if isinstance(value, CriminalCodeArticle) else value.pk
    if isinstance(value, (list, tuple)) or hasattr(value, "__iter__") and not isinstance(value, (str, bytes, dict)):
        return [_to_json(v) for v in value]
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    return value


def structured_values(form: forms.Form, act_type, stored: dict | None = None) -> dict:
    """The cleaned structured values as JSON, empty ones left out.

    A field the user did not change keeps its ``stored`` JSON as it was, and stored keys the type no
    longer lists are kept too (no field showed them, so nobody changed them).
    """
    stored = stored or {}
    names = {spec["name"] for spec in act_type.fields}
    values = {key: value for key, value in stored.items() if key not in names}
    changed = set(form.changed_data)
    for spec in act_type.fields:
        name = spec["name"]
        if name in stored and PREFIX + name not in changed:
            values[name] = stored[name]
            continue
        value = form.cleaned_data.get(PREFIX + name)
        if value is not None and value not in ("", []) and not (hasattr(value, "exists") and not value.exists()):
            values[name] = _to_json(value)
    return values


def _display_one(spec: dict, value, case) -> str:
    kind = spec.get("type", "text")
    if kind in ("participant", "participants"):
        found = {p.pk: p for p in Participant.objects.filter(case=case, pk__in=_ids(value)).select_related("person")}
        return "; ".join(
            f"{found[i].person.full_name} — {found[i].get_role_display()}" if i in found else str(i)
            for i in _ids(value)
        )
    if kind == "evidence":
        found = {e.pk: e for e in case.evidence_items.filter(pk__in=_ids(value))}
        return "; ".join(
            f"№{found[i].number} — {Truncator(found[i].description).chars(80)}" if i in found else str(i)
            for i in _ids(value)
        )
    if kind == "article":
        articles = _articles(value)
        return "; ".join(article_label(a) for a in articles) if articles else str(value)
    if kind == "choice":
        lang = "label_kk" if get_language() == "kk" else "label_ru"
        labels = {c["value"]: c.get(lang, c["value"]) for c in spec.get("choices", [])}
        return labels.get(value, str(value))
    if kind in ("date", "datetime") and isinstance(value, str):
        try:
            parsed = parse_datetime(value) if kind == "datetime" else parse_date(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, datetime):
            # Shown in the configured zone (Asia/Almaty), whatever offset it was stored with.
            parsed = timezone.localtime(parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed))
            return parsed.strftime("%d.%m.%Y %H:%M")
        if isinstance(parsed, date):
            return parsed.strftime("%d.%m.%Y")
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def display_values(act_type, case, values: dict | None) -> list[tuple[str, str]]:
    """(label, text) for each structured field of the type, as a reader says it (issue #16): a participant's
    name and role, an article with its title, a choice's label, dates as dd.mm.yyyy; "" where empty."""
    values = values or {}
    shown = []
    for spec in act_type.fields:
        value = values.get(spec["name"])
        shown.append((_label(spec), "" if value in (None, "", []) else _display_one(spec, value, case)))
    return shown
