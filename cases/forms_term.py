"""Forms of the term: the investigator's extension request and the prosecutor's decision on it."""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ecase.widgets import DateInput, TextareaField

from .choices import Language
from .models import ProceduralActType
from .services.term import REQUEST_TYPE


def _addressees() -> list[tuple[str, str]]:
    """The addressee choices of the request's act type (reference data), in the interface language."""
    act_type = ProceduralActType.objects.filter(code=REQUEST_TYPE).first()
    spec = next((f for f in act_type.fields if f["name"] == "addressee"), None) if act_type else None
    label = "label_kk" if get_language() == "kk" else "label_ru"
    return [(c["value"], c.get(label, c["value"])) for c in (spec or {}).get("choices", [])]


class ExtensionRequestForm(forms.Form):
    days = forms.IntegerField(label=_("Extend by (days)"), min_value=1, max_value=365)
    reasons = TextareaField(
        label=_("Why the investigation cannot be completed in time"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20000,
    )
    planned_actions = TextareaField(
        label=_("Procedural actions still to be done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )
    addressee = forms.ChoiceField(label=_("Addressed to"))
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    place = forms.CharField(label=_("Place"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["addressee"].choices = _addressees()


class ActSanctionForm(forms.Form):
    """The investigating judge's decision on an act, as the court issued it (the scan is required)."""

    granted = forms.TypedChoiceField(
        label=_("The judge's decision"),
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Sanctioned")), ("no", _("Refused"))],
    )
    judge = forms.CharField(label=_("Investigating judge"), max_length=200)
    court = forms.CharField(label=_("Court"), max_length=300)
    decided_on = forms.DateField(label=_("Date of the decision"), widget=DateInput)
    note = TextareaField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    scan = forms.FileField(label=_("Scan of the court's decision (PDF, JPEG or PNG)"))
