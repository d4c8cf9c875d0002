"""Small helpers shared by the case pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.forms import Form
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

PAGE_SIZE = 25


def paginate(request: HttpRequest, queryset, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def apply_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError next to the fields it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def done(request: HttpRequest, text: str) -> None:
    messages.success(request, text)


def verify_url(request: HttpRequest) -> str:
    """The second-factor page, returning to this page (with its search) once the code is confirmed."""
    return f"{reverse('accounts:otp-verify')}?{urlencode({'next': request.get_full_path()})}"
