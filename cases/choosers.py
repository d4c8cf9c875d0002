"""Who and what a form may choose among people and articles, and the search over them (issue #4).

A choice among every prosecutor of the country (1,865 at 1,000,000 cases) or every investigator
below a regional department (17,249) made a page weigh 175 KB to 1.4 MB. Such a field now shows
a search box and a short ``<select>``: the value chosen, a few likely options, and what the
search finds (``cases.views.options`` answers htmx with the matching ``<option>`` rows). The set
a field *accepts* is still the whole allowed set below, checked on the server as before: the
search narrows what is shown, never what is allowed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django import forms
from django.db.models import IntegerField, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat, StrIndex, Substr
from django.forms.models import ModelChoiceIteratorValue
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import User

from .models import CriminalCodeArticle

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SEARCH_LIMIT = 20  # options a search returns; the user refines the text to find others
SEARCH_SUFFIX = "_q"  # the search box of field "x" is "x_q"
ARTICLE_CODE = re.compile(r"^(\d{1,3}(?:-\d)?)(?:\s*(?:-|ч\.?|part|бөлік)\s*(\d{1,2}))?$", re.IGNORECASE)


def prosecutors() -> QuerySet[User]:
    """The prosecutors a case may name as its supervising prosecutor: every active prosecutor.

    Prosecutors' offices are units of their own (``UnitKind.PROSECUTOR_OFFICE``, no parent), not
    part of the police tree, so the unit tree says nothing about which office supervises which
    department; the case service checks the same rule (role and active).
    """
    return User.objects.filter(role=Role.PROSECUTOR, is_active=True).select_related("unit")


def investigators_below(unit) -> QuerySet[User]:
    """The investigators of ``unit`` and every unit below it (the supervisor's case-list filter)."""
    if unit is None:
        return User.objects.none()
    return User.objects.filter(role=Role.INVESTIGATOR, unit__in=unit.subtree()).select_related("unit")


def by_number(articles: QuerySet[CriminalCodeArticle]) -> QuerySet[CriminalCodeArticle]:
    """Articles in the Code's order: 99 before 100, 108 before 108-1 before 109 (``article`` is text).

    The number before any "-" is compared as an integer (STRPOS / INSTR and CAST on both databases).
    """
    number = Cast(
        Substr("article", 1, StrIndex(Concat("article", Value("-")), Value("-")) - 1), output_field=IntegerField()
    )
    return articles.annotate(article_number=number).order_by("article_number", "article", "part")


def active_articles() -> QuerySet[CriminalCodeArticle]:
    return by_number(CriminalCodeArticle.objects.filter(is_active=True))


def _title(article: CriminalCodeArticle, kazakh: bool) -> str:
    return article.title_kk if kazakh and article.title_kk else article.title_ru


def article_label(article: CriminalCodeArticle) -> str:
    """ "ст. 188 ч. 1 — title", the title in the user's language where the data holds it."""
    return gettext_now("art. %(article)s part %(part)s — %(title)s") % {
        "article": article.article,
        "part": article.part,
        "title": _title(article, get_language() == "kk"),
    }


class ArticleChoiceField(forms.ModelChoiceField):
    """One article, labelled in the user's language."""

    def label_from_instance(self, obj) -> str:
        return article_label(obj)


class ArticleMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several articles, labelled in the user's language."""

    def label_from_instance(self, obj) -> str:
        return article_label(obj)


class ArticleFilterSelect(forms.SelectMultiple):
    """The whole list of articles, parts grouped under their article, with a search box (static/js/articles.js).

    Each article is an ``<optgroup>`` ("ст. 188 — Кража") and its parts are its options ("ч. 2"):
    a title written once per article instead of once per part cut the registration page, the
    heaviest of the later navigations, from 29.7 KB to about 22 KB with 168 parts of 77 articles.
    Progressive enhancement: without JavaScript it is the plain multiple ``<select>`` with its
    groups. With it, a box above the list keeps only the parts whose number, part or title (as
    shown, in the user's language) match what is typed; a click or Enter adds or removes one part
    without Ctrl, and the chosen ones are listed under the box with their full label ("ст. 188 ч. 2
    — Кража", the part put before the heading's " — " in every language's format) even while the
    filter hides them. "188 2", "188-2" and "188 ч.2" find part 2 of 188.
    """

    class Media:
        js = [forms.Script("js/articles.js", defer=True)]

    def __init__(self, attrs=None):
        super().__init__({"size": 8, **(attrs or {})})

    def optgroups(self, name, value, attrs=None):
        """The options grouped by article; the field's queryset (``by_number``) keeps an article's parts together.

        The labels are made here from two formats translated once per list: through the field's own
        labels (three translations per part) the list cost 17 ms of CPU per registration page.
        """
        field = getattr(self.choices, "field", None)
        if field is None:  # not a model choice: nothing to group by
            return super().optgroups(name, value, attrs)
        heading_format, part_format = gettext_now("art. %(article)s — %(title)s"), gettext_now("part %(part)s")
        kazakh = get_language() == "kk"
        groups: list[tuple[str, list]] = []
        for article in field.queryset:
            heading = heading_format % {"article": article.article, "title": _title(article, kazakh)}
            if not groups or groups[-1][0] != heading:
                groups.append((heading, []))
            choice = ModelChoiceIteratorValue(field.prepare_value(article), article)
            groups[-1][1].append((choice, part_format % {"part": article.part}))
        flat, self.choices = self.choices, groups
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = flat

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs.update(
            {
                "data-article-filter": "",
                "data-placeholder": gettext_now("Type a number or words of the title"),
                "data-search-label": gettext_now("Find an article"),
                "data-chosen-label": gettext_now("Chosen:"),
                "data-none-label": gettext_now("nothing chosen yet"),
            }
        )
        return attrs


def search_people(users: QuerySet[User], q: str) -> QuerySet[User]:
    """``users`` whose surname (or name, or login) starts with the words of ``q``, by surname; at most SEARCH_LIMIT."""
    words = q.split()[:3]
    if not words:
        return users.none()
    for word in words:
        users = users.filter(
            Q(last_name__istartswith=word)
            | Q(first_name__istartswith=word)
            | Q(middle_name__istartswith=word)
            | Q(username__istartswith=word)
        )
    return users.order_by("last_name", "first_name", "pk")[:SEARCH_LIMIT]


def search_articles(articles: QuerySet[CriminalCodeArticle], q: str) -> QuerySet[CriminalCodeArticle]:
    """Articles by number ("188", "188-2", "188 ч.2") or by words of their title; at most SEARCH_LIMIT."""
    q = q.strip()
    if not q:
        return articles.none()
    code = ARTICLE_CODE.match(q)
    if code:
        number, part = code.groups()
        condition = Q(article__startswith=number) if part is None else Q(article=number, part=int(part))
        if part is None and "-" in number:  # "188-2": article 188 part 2, or an article numbered 188-2
            base, dash = number.split("-")
            condition |= Q(article=base, part=int(dash))
    else:
        condition = Q()
        for word in q.split()[:3]:
            condition &= Q(title_ru__icontains=word) | Q(title_kk__icontains=word)
    return by_number(articles.filter(condition))[:SEARCH_LIMIT]


class SearchSelect(forms.Select):
    """A ``<select>`` of a few options with a search box that asks the server for more (htmx).

    The ``<select>`` holds the empty choice, the value chosen, the options the form offers up
    front (``offered``, a short query set) and, when the form comes back with the search box
    filled (a filter submitted without JavaScript), what that search finds. With JavaScript, typing
    in the box replaces the options with the server's matches (``url``), the value chosen kept.
    ``detached`` keeps the box out of the form: Enter in it then does not send a registration.
    """

    class Media:
        js = [forms.Script("js/htmx.min.js", defer=True)]

    def __init__(self, *, url: StrOrPromise = "", offered=None, detached: bool = False, placeholder="", attrs=None):
        super().__init__(attrs)
        self.url, self.offered, self.detached, self.placeholder = url, offered, detached, placeholder
        self.found = None  # set by the form: the matches of a submitted search

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.found = None
        return copy

    def optgroups(self, name, value, attrs=None):
        field = getattr(self.choices, "field", None)
        if field is None:  # plain choices: nothing to shorten
            return super().optgroups(name, value, attrs)
        chosen = [v for v in value if str(v).isdigit()]
        rows = list(field.queryset.filter(pk__in=chosen)) if chosen else []
        for extra in (self.found, self.offered):
            if extra is not None:
                rows += [row for row in extra if row.pk not in {r.pk for r in rows}]
        full = self.choices
        self.choices = [("", field.empty_label or "—")] + [
            (field.prepare_value(row), field.label_from_instance(row)) for row in rows
        ]
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = full

    def render(self, name, value, attrs=None, renderer=None):
        select = super().render(name, value, attrs, renderer)
        select_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        search = format_html(
            '<input type="search" name="{}" id="{}"{} class="search-select" autocomplete="off" placeholder="{}" '
            'aria-label="{}" aria-controls="{}" hx-get="{}?field={}" hx-trigger="input changed delay:300ms, search" '
            'hx-target="#{}" hx-swap="innerHTML" hx-include="#{}" hx-sync="this:replace">',
            f"{name}{SEARCH_SUFFIX}",
            f"{select_id}{SEARCH_SUFFIX}",
            format_html(' form="{}"', f"{select_id}-search-only") if self.detached else "",
            self.placeholder or _("Type to search"),
            _("Search"),
            select_id,
            self.url,
            name,
            select_id,
            select_id,
        )
        return format_html('<span class="search-select">{}{}</span>', search, select)


def person_label(user: User) -> str:
    """A person in a choice: full name and unit, so that namesakes can be told apart."""
    return f"{user} — {user.unit}" if user.unit_id else str(user)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_label(obj)


def options_html(rows, chosen, label=str, empty_label="—") -> str:
    """The ``<option>`` rows an htmx search puts into its ``<select>``: empty, chosen, matches."""
    chosen = str(chosen or "")
    items = [("", "", empty_label)] + [
        (str(row.pk), "selected" if str(row.pk) == chosen else "", label(row)) for row in rows
    ]
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, mark_safe(" selected") if selected else "", text) for value, selected, text in items),
    )
