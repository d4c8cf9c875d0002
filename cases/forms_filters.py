"""The filter bar of the case list."""

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import User
from ecase.widgets import DateInput

from .choices import CaseStatus, Gravity
from .choosers import SEARCH_SUFFIX, PersonChoiceField, SearchSelect, investigators_below, search_people
from .selectors import CaseFilters
from .statistics import GROUPINGS


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Number, IIN, surname, article or words of the plot")}
        ),
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any"))] + list(CaseStatus.choices))
    gravity = forms.TypedChoiceField(
        label=_("Gravity"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any"))] + list(Gravity.choices),
    )
    # A search, not a list: below a regional department there are tens of thousands of investigators.
    investigator = PersonChoiceField(
        label=_("Investigator"),
        required=False,
        queryset=User.objects.none(),
        widget=SearchSelect(
            url=reverse_lazy("cases:investigator-options"), placeholder=_("Type the investigator's surname")
        ),
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.role == Role.SUPERVISOR and user.unit is not None:
            field = self.fields["investigator"]
            field.queryset = investigators_below(user.unit)
            # Sent without JavaScript, the search box's text is searched here; pick, then Find again.
            q = (self.data.get(f"investigator{SEARCH_SUFFIX}") or "").strip()[:100] if self.is_bound else ""
            field.widget.found = search_people(field.queryset, q) if q else None
        else:
            del self.fields["investigator"]

    def filters(self) -> CaseFilters:
        if not self.is_valid():
            return CaseFilters()
        data = self.cleaned_data
        investigator = data.get("investigator")
        return CaseFilters(
            q=data["q"],
            status=data["status"],
            gravity=data["gravity"],
            investigator=investigator.pk if investigator else None,
            overdue=data["overdue"],
        )


class StatisticsForm(forms.Form):
    """The report's period and rows (cases/statistics.py); a GET form, so the URL is the report."""

    start = forms.DateField(label=_("From"), widget=DateInput)
    end = forms.DateField(label=_("To"), widget=DateInput)
    by = forms.ChoiceField(label=_("Rows"), choices=GROUPINGS, initial="unit")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The period ends before it starts."))
        if end and end > timezone.localdate():
            self.add_error("end", _("The period cannot end in the future."))
        return data
