"""Forms of the case pages. Validation of the domain stays in models and services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import User
from ecase.widgets import DateInput, TextareaField

from .access.grave import grave_hidden_for, without_grave
from .act_transitions import ActAction
from .choices import CaseAction, Language, ParticipantRole, ProceedingsForm, Sex
from .choosers import (
    ArticleFilterSelect,
    ArticleMultipleChoiceField,
    PersonChoiceField,
    SearchSelect,
    active_articles,
    investigators_below,
    prosecutors,
)
from .effects import DECREE_ROLES
from .models import Case, Participant, ProceduralActType

DATE = DateInput()  # ISO value: <input type=date> shows a localised one as empty (ecase/widgets.py)


class ReasonForm(forms.Form):
    reason = TextareaField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


def with_chosen(queryset, chosen_ids, *, among=None):
    """``queryset`` plus the rows already chosen, so an edit form shows a stored choice that has since left
    the offered set (an article no longer active, a participant withdrawn, a supervisor moved): a
    ``<select>`` without the stored option shows, and saving then sends, nothing (issue #13). Whether
    such a value may stay is the service's rule, and it says so; the form must not drop it silently."""
    ids = [i for i in chosen_ids if i not in (None, "")]
    if not ids:
        return queryset
    return queryset | (queryset.model.objects.all() if among is None else among).filter(pk__in=ids)


def _people(role: str, unit=None):
    users = User.objects.filter(role=role, is_active=True).select_related("unit")
    return users.filter(unit__in=unit.subtree()) if unit is not None else users


def points_field() -> forms.CharField:
    return forms.CharField(
        label=_("Points (пункты)"),
        required=False,
        max_length=500,
        help_text=_("Where a part has points: the part, a colon and the point, e.g. “190-2: 4; 188-3: 1”."),
    )


class PointsMixin:
    """Reads the points field into {part id: point} for the service (which checks each point's form)."""

    def clean(self):
        cleaned = super().clean()
        text = (cleaned.get("points") or "").strip()
        articles = cleaned.get("articles") or []
        by_code = {a.code: a.pk for a in articles}
        points: dict[int, str] = {}
        for item in filter(None, (chunk.strip() for chunk in text.replace(",", ";").split(";"))):
            code, colon, point = (x.strip() for x in item.partition(":"))
            if not colon or not point:
                self.add_error("points", _("Write each point as the part, a colon and the point: “190-2: 4”."))
                break
            if code not in by_code:
                self.add_error("points", _("%(code)s is not among the chosen articles.") % {"code": code})
                break
            points[by_code[code]] = point
        cleaned["points"] = points
        return cleaned


class CaseRegisterForm(PointsMixin, forms.Form):
    articles = ArticleMultipleChoiceField(
        label=_("Qualification (articles of the Criminal Code)"),
        queryset=active_articles(),
        widget=ArticleFilterSelect(),
    )
    points = points_field()
    proceedings_form = forms.ChoiceField(label=_("Form of pre-trial proceedings"), choices=ProceedingsForm.choices)
    event_date = forms.DateField(label=_("Date of the offence"), required=False, widget=DATE)
    plot = TextareaField(label=_("Plot"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20000)
    prosecutor = PersonChoiceField(
        label=_("Supervising prosecutor"),
        queryset=User.objects.none(),
        required=False,
        widget=SearchSelect(
            url=reverse_lazy("cases:prosecutor-options"), detached=True, placeholder=_("Type the prosecutor's surname")
        ),
        error_messages={"invalid_choice": _("Choose an active prosecutor: the one chosen is not.")},
    )
    supervisor = forms.ModelChoiceField(
        label=_("Supervisor"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Required for grave and especially grave crimes."),
    )
    # Only on a supervisor's form: an investigator registering a case leads it; a head of unit names
    # who does (an investigator of the unit or below it; the service checks it again).
    # A search, not a list: below a regional department there are tens of thousands of investigators.
    lead_investigator = PersonChoiceField(
        label=_("Lead investigator"),
        queryset=User.objects.none(),
        widget=SearchSelect(
            url=reverse_lazy("cases:investigator-options"),
            detached=True,
            placeholder=_("Type the investigator's surname"),
        ),
    )

    def __init__(self, *args, unit=None, user=None, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        if getattr(user, "role", None) == Role.SUPERVISOR:
            self.fields["lead_investigator"].queryset = investigators_below(unit).filter(is_active=True)
        else:
            del self.fields["lead_investigator"]
        # Every active prosecutor may be named (checked on submission); the page lists none of them
        # up front but those named on the registrar's own cases: the rest are found by surname.
        # Grave cases' prosecutors only as the one grave-data rule lets ``request`` list them.
        self.fields["prosecutor"].queryset = prosecutors()
        self.fields["prosecutor"].widget.offered = _usual_prosecutors(user, request=request)
        self.fields["supervisor"].queryset = (
            User.objects.filter(role=Role.SUPERVISOR, is_active=True, unit__path__in=unit.ancestor_paths())
            if unit
            else User.objects.none()
        )


USUAL_PROSECUTORS = 5


def _usual_prosecutors(user, *, request=None):
    """The prosecutors named on ``user``'s own cases (through restrict): a handful, whatever the country's size.
    Grave cases count only when ``request`` may list grave data (``grave_hidden_for``; no request: never)."""
    if user is None:
        return User.objects.none()
    named = Case.objects.restrict(user, "view").filter(lead_investigator=user, prosecutor__isnull=False)
    named = grave_hidden_for(request, named)[0] if request is not None else without_grave(named)
    return (
        prosecutors()
        .filter(pk__in=named.values("prosecutor_id"))
        .order_by("last_name", "first_name", "pk")[:USUAL_PROSECUTORS]
    )


class CaseEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    proceedings_form = CaseRegisterForm.base_fields["proceedings_form"]
    event_date = CaseRegisterForm.base_fields["event_date"]
    plot = CaseRegisterForm.base_fields["plot"]
    reason = forms.CharField(label=_("Reason for the change"), max_length=500)


class CaseAssignForm(forms.Form):
    # A search, not a list: below a regional department there are tens of thousands of investigators.
    lead_investigator = PersonChoiceField(
        label=_("Lead investigator"),
        queryset=User.objects.none(),
        widget=SearchSelect(
            url=reverse_lazy("cases:investigator-options"),
            detached=True,
            placeholder=_("Type the investigator's surname"),
        ),
    )
    group = forms.ModelMultipleChoiceField(label=_("Investigative group"), queryset=User.objects.none(), required=False)
    prosecutor = CaseRegisterForm.base_fields["prosecutor"]
    supervisor = forms.ModelChoiceField(label=_("Supervisor"), queryset=User.objects.none(), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        investigators = _people(Role.INVESTIGATOR, case.unit)
        self.fields["lead_investigator"].queryset = with_chosen(investigators, [case.lead_investigator_id])
        self.fields["group"].queryset = with_chosen(investigators, case.group.values_list("pk", flat=True))
        # The current one is shown; others are searched.
        self.fields["prosecutor"].queryset = with_chosen(prosecutors(), [case.prosecutor_id])
        self.fields["supervisor"].queryset = with_chosen(
            User.objects.filter(role=Role.SUPERVISOR, is_active=True, unit__path__in=case.unit.ancestor_paths()),
            [case.supervisor_id],
        )


class CaseTransitionForm(forms.Form):
    action = forms.ChoiceField(choices=CaseAction.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    ground = forms.CharField(label=_("Legal ground"), required=False, max_length=200)
    on_date = forms.DateField(label=_("Date"), required=False, widget=DATE)


class ExtensionForm(forms.Form):
    days = forms.IntegerField(label=_("Extend by (days)"), min_value=1, max_value=365)
    reason = TextareaField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ParticipantForm(forms.Form):
    # No role preselected (issue #16): a default made victims into suspects by an unnoticed click. Suspect and
    # accused are not offered: only a decree in force gives them (issue #18, cases/effects.py DECREE_ROLES).
    role = forms.ChoiceField(
        label=_("Procedural role"),
        choices=[("", "—"), *((v, label) for v, label in ParticipantRole.choices if v not in DECREE_ROLES)],
        help_text=_("A suspect or accused is made so by a decree in force: add the person as a witness first."),
    )
    iin = forms.CharField(
        label=_("IIN"),
        max_length=12,
        required=False,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "pattern": "[0-9]{12}",
                "autocomplete": "off",
                "data-iin": "",
                "data-msg-ok": _("Valid IIN, born"),
                "data-msg-format": _("An IIN is exactly 12 digits."),
                "data-msg-checksum": _("The IIN's check digit is wrong: check the number."),
                "data-msg-century": _("The IIN's 7th digit (century and sex) must be 1-6."),
                "data-msg-date": _("The IIN does not start with a valid birth date."),
            }
        ),
    )
    last_name = forms.CharField(label=_("Surname"), max_length=100)
    first_name = forms.CharField(label=_("Name"), max_length=100)
    middle_name = forms.CharField(label=_("Patronymic"), max_length=100, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), widget=DATE)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    role_since = forms.DateField(label=_("Role given on"), required=False, widget=DATE, initial=timezone.localdate)

    PERSON_FIELDS = ("iin", "last_name", "first_name", "middle_name", "birth_date", "sex", "address", "phone")

    def clean_birth_date(self):
        born = self.cleaned_data["birth_date"]
        if born > timezone.localdate():
            raise ValidationError(_("The date of birth cannot be in the future."), code="future")
        return born

    def person_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.PERSON_FIELDS}


class _ActTypeNames(ModelChoiceIterator):
    """The act types listed by their names only: the rows' field specs and effects (JSON) were most
    of the drafting form's list cost. The chosen type is still read whole (the field's queryset)."""

    def __init__(self, field):
        super().__init__(field)
        self.queryset = field.queryset.only("pk", "code", "name_ru", "name_kk")


class ActTypeChoiceField(forms.ModelChoiceField):
    iterator = _ActTypeNames


class ActCreateForm(forms.Form):
    act_type = ActTypeChoiceField(label=_("Type of act"), queryset=ProceduralActType.draftable())
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    place = forms.CharField(label=_("Place"), max_length=200)
    body = TextareaField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}), required=False, max_length=100000)
    participants = forms.ModelMultipleChoiceField(
        label=_("Participants concerned"), queryset=Participant.objects.none(), required=False
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = case.participants.filter(withdrawn_at__isnull=True).select_related(
            "person"
        )


class ActEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    language = ActCreateForm.base_fields["language"]
    place = ActCreateForm.base_fields["place"]
    body = ActCreateForm.base_fields["body"]
    participants = ActCreateForm.base_fields["participants"]

    def __init__(self, *args, case, act=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = case.participants.filter(withdrawn_at__isnull=True).select_related("person")
        chosen = act.participants.values_list("pk", flat=True) if act is not None else []
        self.fields["participants"].queryset = with_chosen(current, chosen, among=case.participants.all())


class ActTransitionForm(forms.Form):
    action = forms.CharField(max_length=32)
    reason = forms.CharField(required=False, max_length=2000)


class ActReviewForm(forms.Form):
    """A decision on another's act: the head of unit approves or returns it, the prosecutor agrees
    or refuses; a return and a refusal need their reason."""

    action = forms.ChoiceField(
        choices=[(a.value, a.label) for a in (ActAction.APPROVE, ActAction.RETURN, ActAction.AGREE, ActAction.REFUSE)],
        widget=forms.HiddenInput,
    )
    # Only the return and refusal forms render this field: there the browser asks for it too.
    reason = TextareaField(
        label=_("Reasons"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "required": True})
    )

    def clean(self):
        data = super().clean()
        if data.get("action") in (ActAction.RETURN, ActAction.REFUSE) and not (data.get("reason") or "").strip():
            self.add_error("reason", _("State the reasons: the author reworks the act by them."))
        return data


class VerifyUploadForm(forms.Form):
    file = forms.FileField(label=_("The PDF to check"))
