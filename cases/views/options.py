"""The options a search box of a form finds (cases.choosers.SearchSelect): htmx asks, this answers ``<option>`` rows.

Each endpoint answers only the role that has the form, and only from the set that form accepts,
so a search shows nobody the form would not already let the user choose. No case data is read.
"""

from __future__ import annotations

import re

from django.http import HttpResponse
from django.utils.translation import gettext as _

from accounts.choices import Role
from cases.access.views import CaseScopedView
from ecase.errors import NotAllowed

from .. import access
from ..choosers import (
    SEARCH_SUFFIX,
    active_articles,
    article_label,
    investigators_below,
    options_html,
    person_label,
    prosecutors,
    search_articles,
    search_people,
)
from ..models import Case

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class OptionsView(CaseScopedView):
    """GET ?field=<the select's name>&<field>_q=<text>&<field>=<chosen id>: the empty option, the chosen one, the matches."""

    queryset = Case.objects.all()  # no case is read; CaseScopedView for the login and the refusals
    permission_action = access.VIEW
    roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role not in self.roles:
            raise NotAllowed(f"{request.user.role} has no form that chooses here")
        return super().dispatch(request, *args, **kwargs)

    def allowed(self):
        raise NotImplementedError

    def search(self, allowed, q: str):
        raise NotImplementedError

    def label(self, row) -> str:
        return str(row)

    def get(self, request):
        field = request.GET.get("field", "")
        field = field if FIELD_NAME.match(field) else ""
        q = request.GET.get(f"{field}{SEARCH_SUFFIX}", "").strip()[:100] if field else ""
        chosen = request.GET.get(field, "") if field else ""
        allowed = self.allowed()
        rows = list(allowed.filter(pk=chosen)) if chosen.isdigit() else []
        matches = list(self.search(allowed, q))
        rows += [row for row in matches if not rows or row.pk != rows[0].pk]
        empty = _("— nothing found —") if q and not matches else "—"
        response = HttpResponse(options_html(rows, chosen, label=self.label, empty_label=empty))
        response["Cache-Control"] = "private, no-store"
        return response


class PeopleOptionsView(OptionsView):
    """Users found by surname and labelled with their unit."""

    def search(self, allowed, q):
        return search_people(allowed, q)

    def label(self, row):
        return person_label(row)


class ProsecutorOptionsView(PeopleOptionsView):
    """For the registration and assignment forms: active prosecutors by surname."""

    roles = (Role.INVESTIGATOR, Role.SUPERVISOR)

    def allowed(self):
        return prosecutors()


class InvestigatorOptionsView(PeopleOptionsView):
    """For the supervisor's case-list filter: the investigators of the supervisor's unit and below."""

    roles = (Role.SUPERVISOR,)

    def allowed(self):
        return investigators_below(self.request.user.unit)


class ArticleOptionsView(OptionsView):
    """For the article fields of the act drafting form: articles by number or title."""

    roles = (Role.INVESTIGATOR, Role.SUPERVISOR)

    def allowed(self):
        return active_articles()

    def search(self, allowed, q):
        return search_articles(allowed, q)

    def label(self, row):
        return article_label(row)
