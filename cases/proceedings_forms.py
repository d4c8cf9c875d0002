"""Which forms of pre-trial proceedings the Code allows for a case of a given gravity (issue #18).

The table is data with its source (cases/data/proceedings_forms.json, docs/LEGAL_SOURCES.md): a
protocol form only for criminal misdemeanours, the expedited form and the inquiry only for the lesser
crimes, the preliminary investigation for any. Registration, requalification and an edit of the form
check it (cases/services), so a grave case can never run in the protocol form.
"""

from __future__ import annotations

from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import Gravity, ProceedingsForm
from .reference_data import read


@cache
def form_rules() -> dict[str, dict]:
    """The shipped rows by form; every form of ``ProceedingsForm`` has one (a test holds it)."""
    return {row["form"]: row for row in read("proceedings_forms.json")}


def allowed_forms(gravity: int) -> list[str]:
    return [form for form, row in form_rules().items() if gravity in row["gravities"]]


def check_form(*, form: str, gravity: int, field: str = "proceedings_form") -> None:
    """Refuse ``form`` for a case of ``gravity``, naming the article that says so and the forms allowed."""
    row = form_rules().get(form)
    if row is None or gravity in row["gravities"]:
        return  # an unknown form is the field's own validation error (its choices)
    allowed = ", ".join(str(ProceedingsForm(f).label) for f in allowed_forms(gravity))
    raise ValidationError(
        {
            field: _("“%(form)s” is not allowed for a case that is “%(gravity)s” (%(article)s). Allowed: %(allowed)s.")
            % {
                "form": ProceedingsForm(form).label,
                "gravity": Gravity(gravity).label,
                "article": row["article"],
                "allowed": allowed,
            }
        },
        code="form_not_allowed",
    )
