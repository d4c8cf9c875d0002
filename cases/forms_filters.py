"""The filter bar of the case list."""
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import User

from .choices import CaseStatus, Gravity
from .selectors import CaseFilters


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, IIN, surname, article or words of the plot")}))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any"))] + list(CaseStatus.choices))
    gravity = forms.TypedChoiceField(label=_("Gravity"), required=False, coerce=int, empty_value=None,
                                     choices=[("", _("Any"))] + list(Gravity.choices))
    investigator = forms.ModelChoiceField(label=_("Investigator"), required=False, queryset=User.objects.none())
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.role == Role.SUPERVISOR and user.unit is not None:
            self.fields["investigator"].queryset = User.objects.filter(
                role=Role.INVESTIGATOR, unit__path__startswith=user.unit.path).order_by("last_name")
        else:
            del self.fields["investigator"]

    def filters(self) -> CaseFilters:
        if not self.is_valid():
            return CaseFilters()
        data = self.cleaned_data
        investigator = data.get("investigator")
        return CaseFilters(q=data["q"], status=data["status"], gravity=data["gravity"],
                           investigator=investigator.pk if investigator else None, overdue=data["overdue"])
