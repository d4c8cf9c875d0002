"""Forms of the evidence pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ecase.widgets import DateTimeInput, TextareaField

from .choices import EvidenceKind, EvidenceStatus


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices)
    description = TextareaField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    seized_at = forms.DateTimeField(label=_("Seized at"), widget=DateTimeInput())
    seized_place = forms.CharField(label=_("Seized where"), max_length=300)
    seized_from_text = forms.CharField(label=_("Seized from whom"), max_length=300, required=False)
    storage_location = forms.CharField(label=_("Storage location"), max_length=300, required=False)
    seal_number = forms.CharField(label=_("Seal number"), max_length=64, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=EvidenceStatus.choices, initial=EvidenceStatus.SEIZED)
    number = forms.IntegerField(label=_("Number (leave empty for the next one)"), min_value=1, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"), allow_empty_file=True)


class TransferForm(forms.Form):
    to_holder = forms.CharField(label=_("Handed to"), max_length=200)
    to_location = forms.CharField(label=_("New location"), max_length=300, required=False)
    occurred_at = forms.DateTimeField(label=_("When"), required=False, widget=DateTimeInput())
    reason = TextareaField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
