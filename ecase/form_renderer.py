"""The project's form renderer: Django's own, with ``<select>`` lists written in Python.

Django renders every option of a ``<select>`` through two templates (the option and its
attributes): 57 act types cost 11.8 ms of CPU on the act drafting form, the 168 article parts of
the registration form more, on pages the daily mix asks for (issue #15). The markup is the same as
Django's select.html and select_option.html (attributes as its attrs.html writes them: True bare,
False left out), without the whitespace between options; every value and label escaped as the
templates escape them. Every other widget is rendered by Django's templates as before.
"""

from __future__ import annotations

from html import escape

from django.forms.renderers import DjangoTemplates
from django.utils.safestring import SafeString, mark_safe

SELECT_TEMPLATES = frozenset({"django/forms/widgets/select.html"})  # Select, SelectMultiple, NullBooleanSelect


def _escaped(value) -> str:
    """As the templates' autoescape (Django's ``conditional_escape``): safe strings as they are."""
    return value.__html__() if hasattr(value, "__html__") else escape(str(value), quote=True)


def _attrs(attrs: dict) -> str:
    """As attrs.html writes them, in their order: a True attribute bare, a False (or None) one left out."""
    return "".join(
        f" {_escaped(name)}" if value is True else f' {_escaped(name)}="{_escaped(value)}"'
        for name, value in attrs.items()
        if value is not False and value is not None
    )


def _options(options: list[dict]) -> str:
    return "".join(
        f'<option value="{_escaped(o["value"])}"{_attrs(o["attrs"])}>{_escaped(o["label"])}</option>' for o in options
    )


def select_html(widget: dict) -> SafeString:
    """``<select>`` with its options and option groups from a widget's context (``Select.get_context``).

    Written with the standard library's ``html.escape`` rather than ``format_html``, whose lazy-string
    wrappers cost more than the options themselves.
    """
    parts = [f'<select name="{_escaped(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'<optgroup label="{_escaped(group_name)}">{_options(options)}</optgroup>')
        else:
            parts.append(_options(options))
    parts.append("</select>")
    return mark_safe("".join(parts))


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name in SELECT_TEMPLATES:
            return select_html(context["widget"])
        return super().render(template_name, context, request)
