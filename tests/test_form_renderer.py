"""The form renderer writes <select> lists as Django's templates do (ecase/form_renderer.py)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import override_settings

from ecase.form_renderer import FormRenderer

CHOICES = [
    ("", "—"),
    ("a", 'A <b>"bold"</b> & co'),
    ("Group <1>", [("b", "Б"), ("c", "В")]),
    (3, "three"),
]


def without_whitespace_between_tags(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html).strip())


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.Select(choices=CHOICES), "b"),
        (forms.Select(choices=CHOICES, attrs={"required": True, "disabled": False, "data-x": '"q"'}), 3),
        (forms.SelectMultiple(choices=CHOICES, attrs={"size": 4}), ["a", "c"]),
        (forms.NullBooleanSelect(), True),
        (forms.Select(choices=[]), None),
    ],
)
def test_a_select_is_the_markup_of_djangos_templates(widget, value):
    ours = widget.render("field", value, attrs={"id": "id_field"}, renderer=FormRenderer())
    django = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())
    assert str(ours) == without_whitespace_between_tags(django)
    if "bold" in ours:  # labels escaped
        assert "<b>" not in ours and "&lt;b&gt;&quot;bold&quot;&lt;/b&gt; &amp; co" in ours


def test_the_project_renders_its_forms_with_it():
    class Form(forms.Form):
        kind = forms.ChoiceField(choices=CHOICES)
        note = forms.CharField()

    html = str(Form())
    assert '<select name="kind" required id="id_kind"><option value="" selected>—</option>' in html
    assert '<input type="text" name="note" required id="id_note">' in html  # other widgets: Django's templates


@override_settings(FORM_RENDERER="django.forms.renderers.DjangoTemplates")
def test_without_it_the_same_form_is_djangos():
    class Form(forms.Form):
        kind = forms.ChoiceField(choices=CHOICES)

    assert "\n" in str(Form()["kind"])  # Django's own template puts each option on its line
