"""The administration workspace (``/manage/``): units and users.

Every write is one service of ``accounts.services`` with the administrator as actor, which checks
the rules and writes the audit event; a refusal of the service (``ValidationError``) is shown on
the form beside the field it names. Nothing is ever deleted: users are deactivated, units stay.
No page here shows case content (DESIGN §1): the workspace reads units and users only.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..models import Unit, User
from ..services import (
    PROFILE_FIELDS,
    RIGHTS_FIELDS,
    UNIT_FIELDS,
    unit_create,
    unit_update,
    user_create,
    user_deactivate,
    user_reactivate,
    user_reset_second_factor,
    user_set_password,
    user_update,
)
from . import access
from .forms import (
    ReasonForm,
    SetPasswordForm,
    UnitChangeForm,
    UnitCreateForm,
    UserChangeForm,
    UserCreateForm,
    UserSearchForm,
)

PAGE_SIZE = 50


def refused(form, error: ValidationError) -> None:
    """Put a service's refusal on the form: beside the field it names, else above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _page(request: HttpRequest, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


# --- home -------------------------------------------------------------------------------------------


@access.page
def home(request: HttpRequest) -> HttpResponse:
    """The administrator's start page after sign-in: what there is to administer, and how much."""
    return render(
        request,
        "manage/home.html",
        {
            "units": Unit.objects.count(),
            "users": User.objects.aggregate(
                active=Count("pk", filter=Q(is_active=True)), inactive=Count("pk", filter=Q(is_active=False))
            ),
        },
    )


# --- units ------------------------------------------------------------------------------------------


@access.page
def unit_list(request: HttpRequest) -> HttpResponse:
    """The tree, by materialised path (parents before children), a page at a time."""
    q = (request.GET.get("q") or "").strip()
    units = Unit.objects.order_by("path").annotate(people=Count("members"))
    if q:
        units = units.filter(Q(code__istartswith=q) | Q(name_ru__icontains=q) | Q(name_kk__icontains=q))
    page = _page(request, units)
    rows = [(unit, unit.path.count("/") - 1) for unit in page]
    query = urlencode({"q": q}) if q else ""
    return render(request, "manage/unit_list.html", {"page": page, "rows": rows, "query": query, "q": q})


@access.form
def unit_new(request: HttpRequest) -> HttpResponse:
    form = UnitCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = unit_create(
                actor=access.administrator(request),
                code=data["code"],
                parent=data["parent"],
                **{name: data[name] for name in UNIT_FIELDS},
            )
        except ValidationError as error:
            refused(form, error)
        else:
            messages.success(request, _("Unit %(code)s created.") % {"code": unit.code})
            return redirect("manage:units")
    return render(request, "manage/form.html", {"form": form, "title": _("New unit"), "back": "manage:units"})


@access.form
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(Unit.objects.select_related("parent"), pk=pk)
    form = UnitChangeForm(request.POST or None, initial={name: getattr(unit, name) for name in UNIT_FIELDS})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit_update(
                actor=access.administrator(request),
                unit=unit,
                reason=data["reason"],
                **{name: data[name] for name in UNIT_FIELDS},
            )
        except ValidationError as error:
            refused(form, error)
        else:
            messages.success(request, _("Unit %(code)s saved.") % {"code": unit.code})
            return redirect("manage:units")
    return render(
        request,
        "manage/form.html",
        {
            "form": form,
            "title": _("Unit %(code)s") % {"code": unit.code},
            "back": "manage:units",
            "note": _(
                "The code and the parent unit do not change: they are in the unit's registration numbers "
                "and its supervisors' rights. A reorganised unit is created anew."
            ),
            "facts": [(_("Code"), unit.code), (_("Parent unit"), unit.parent or "—")],
        },
    )


# --- users ------------------------------------------------------------------------------------------


def _searched(form: UserSearchForm):
    users = User.objects.select_related("unit").order_by("last_name", "first_name", "username")
    if not form.is_valid():
        return users.none()
    data = form.cleaned_data
    if q := data["q"].strip():
        # The database's case folding of Cyrillic depends on its locale: the typed text and its
        # capitalised form ("ахм" → "Ахм") are both tried, which is how surnames are written.
        capitalised = q[:1].upper() + q[1:]
        users = users.filter(
            Q(last_name__istartswith=q) | Q(last_name__startswith=capitalised) | Q(username__istartswith=q)
        )
    if code := data["unit"].strip():
        unit = Unit.objects.filter(code=code.upper()).first()
        users = users.filter(unit__path__startswith=unit.path) if unit else users.none()
    if data["role"]:
        users = users.filter(role=data["role"])
    if data["active"]:
        users = users.filter(is_active=data["active"] == "yes")
    return users


@access.page
def user_list(request: HttpRequest) -> HttpResponse:
    form = UserSearchForm(request.GET)
    users = _searched(form)
    asked = {name: request.GET[name] for name in form.fields if request.GET.get(name)}
    return render(
        request, "manage/user_list.html", {"form": form, "page": _page(request, users), "query": urlencode(asked)}
    )


@access.form
def user_new(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None, initial={"language": "ru"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_create(
                actor=access.administrator(request),
                username=data["username"],
                password=data["password1"] or None,
                **{name: data[name] for name in (*PROFILE_FIELDS, *RIGHTS_FIELDS)},
            )
        except ValidationError as error:
            refused(form, error)
        else:
            messages.success(request, _("User %(username)s created.") % {"username": user.username})
            return redirect("manage:user", pk=user.pk)
    return render(request, "manage/form.html", {"form": form, "title": _("New user"), "back": "manage:users"})


@access.form
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A user's card: details, role and unit (one form), and the account's actions beside it."""
    user = get_object_or_404(User.objects.select_related("unit"), pk=pk)
    actor = access.administrator(request)
    own = user.pk == actor.pk
    fields = (*PROFILE_FIELDS, *RIGHTS_FIELDS)
    form = UserChangeForm(request.POST or None, own=own, initial={name: getattr(user, name) for name in fields})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # A disabled field (own role and unit) is not in ``changed_data``: it is never sent to the service.
        changes = {name: data[name] for name in form.changed_data if name in fields}
        try:
            user_update(actor=actor, user=user, reason=data["reason"], **changes)
        except ValidationError as error:
            refused(form, error)
        else:
            messages.success(request, _("User %(username)s saved.") % {"username": user.username})
            return redirect("manage:user", pk=user.pk)
    return render(
        request,
        "manage/user_detail.html",
        {
            "subject": user,
            "form": form,
            "own": own,
            "has_device": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        },
    )


def _user_action(request: HttpRequest, pk: int, *, title: str, action: str, form_class=ReasonForm) -> HttpResponse:
    """One account action on its own small page: the form (GET) and the service's call (POST)."""
    user = get_object_or_404(User.objects.select_related("unit"), pk=pk)
    actor = access.administrator(request)
    kwargs = {"user": user} if form_class is SetPasswordForm else {}
    form = form_class(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            done = ACTIONS[action](actor=actor, user=user, data=form.cleaned_data)
        except ValidationError as error:
            refused(form, error)
        else:
            messages.success(request, done % {"username": user.username})
            return redirect("manage:user", pk=user.pk)
    return render(
        request,
        "manage/form.html",
        {"form": form, "title": title % {"username": user.username}, "back_user": user, "button": title_button(action)},
    )


def _deactivate(*, actor: User, user: User, data) -> str:
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account; another administrator does it."))
    if not user.is_active:
        raise ValidationError(_("The account is deactivated already."))
    user_deactivate(actor=actor, user=user, reason=data["reason"])
    return _("%(username)s is deactivated; their sessions have ended.")


def _reactivate(*, actor: User, user: User, data) -> str:
    if user.is_active:
        raise ValidationError(_("The account is active already."))
    user_reactivate(actor=actor, user=user, reason=data["reason"])
    return _("%(username)s can sign in again.")


def _reset_second_factor(*, actor: User, user: User, data) -> str:
    user_reset_second_factor(actor=actor, user=user, reason=data["reason"])
    return _("The second factor of %(username)s is reset: they enrol a new authenticator at the next sign-in.")


def _set_password(*, actor: User, user: User, data) -> str:
    user_set_password(actor=actor, user=user, password=data["password1"])
    return _("The password of %(username)s is set.")


ACTIONS = {
    "deactivate": _deactivate,
    "reactivate": _reactivate,
    "second-factor": _reset_second_factor,
    "password": _set_password,
}


def title_button(action: str) -> str:
    return {
        "deactivate": _("Deactivate"),
        "reactivate": _("Reactivate"),
        "second-factor": _("Reset the second factor"),
        "password": _("Set the password"),
    }[action]


@access.form
def user_deactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_action(request, pk, title=_("Deactivate %(username)s"), action="deactivate")


@access.form
def user_reactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_action(request, pk, title=_("Reactivate %(username)s"), action="reactivate")


@access.form
def user_second_factor_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_action(request, pk, title=_("Reset the second factor of %(username)s"), action="second-factor")


@access.form
def user_password_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_action(
        request, pk, title=_("Set the password of %(username)s"), action="password", form_class=SetPasswordForm
    )
