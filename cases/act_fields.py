"""Form fields for an act type's structured fields (the specs in ProceduralActType.fields).

Values are stored in ``ProceduralAct.fields`` as JSON: text as text, dates in ISO format,
participants and evidence items as ids, articles as their code. Required fields are enforced
when the act is submitted (ProceduralAct.clean), so a draft may be saved half-filled.
"""
from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import get_language

from .choosers import SearchSelect, active_articles
from .models import CriminalCodeArticle

PREFIX = "f_"


def _label(spec: dict) -> str:
    return spec.get("label_kk") if get_language() == "kk" and spec.get("label_kk") else spec.get("label_ru", spec["name"])


def _field(spec: dict, case) -> forms.Field:
    kind, common = spec.get("type", "text"), {"label": _label(spec), "required": False}
    participants = case.participants.filter(withdrawn_at__isnull=True).select_related("person")
    if kind == "textarea":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=20000, **common)
    if kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == "datetime":
        return forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common)
    if kind == "time":
        return forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), **common)
    if kind == "integer":
        return forms.IntegerField(min_value=0, **common)
    if kind == "choice":
        lang = "label_kk" if get_language() == "kk" else "label_ru"
        return forms.ChoiceField(choices=[("", "—")] + [(c["value"], c.get(lang, c["value"])) for c in spec["choices"]],
                                 **common)
    if kind == "participant":
        return forms.ModelChoiceField(queryset=participants, **common)
    if kind == "participants":
        return forms.ModelMultipleChoiceField(queryset=participants, **common)
    if kind == "evidence":
        return forms.ModelChoiceField(queryset=case.evidence_items.filter(withdrawn_at__isnull=True), **common)
    if kind == "article":
        # Any active article may be chosen (a qualification act changes the case's); the <select> offers the
        # case's own articles and the search box finds the others (the whole Code was 18 KB per form).
        return forms.ModelChoiceField(queryset=active_articles(), **common, widget=SearchSelect(
            url=reverse_lazy("cases:article-options"), offered=case.articles.filter(is_active=True), detached=True))
    return forms.CharField(max_length=1000, **common)


def add_structured_fields(form: forms.Form, act_type, case, values: dict | None = None) -> None:
    """Add the type's fields to ``form`` (prefixed), with initial values from a stored act."""
    for spec in act_type.fields:
        name = PREFIX + spec["name"]
        form.fields[name] = _field(spec, case)
        if values and spec["name"] in values and not form.is_bound:
            form.initial[name] = _initial(form.fields[name], values[spec["name"]])


def _initial(field: forms.Field, value):
    if isinstance(field, forms.ModelChoiceField) and not isinstance(field, forms.ModelMultipleChoiceField):
        if field.queryset.model is CriminalCodeArticle and isinstance(value, str) and "-" in value:
            number, part = value.rsplit("-", 1)
            return field.queryset.filter(article=number, part=part).first()
    return value


def _to_json(value):
    if hasattr(value, "pk"):
        return value.code if isinstance(value, CriminalCodeArticle) else value.pk
    if isinstance(value, (list, tuple)) or hasattr(value, "__iter__") and not isinstance(value, (str, bytes, dict)):
        return [_to_json(v) for v in value]
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    return value


def structured_values(form: forms.Form, act_type) -> dict:
    """The cleaned structured values as JSON, empty ones left out."""
    values = {}
    for spec in act_type.fields:
        value = form.cleaned_data.get(PREFIX + spec["name"])
        if value not in (None, "", []) and not (hasattr(value, "exists") and not value.exists()):
            values[spec["name"]] = _to_json(value)
    return values
