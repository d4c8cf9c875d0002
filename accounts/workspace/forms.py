"""Forms of the administration workspace. They only collect and check input: every save is a
service of ``accounts.services`` (the views call it), never a model form's ``save()``.

No form has a field for groups, permissions, the staff or superuser flag: groups and flags follow
role, unit and activity (DESIGN §4), so there is nothing to grant by hand.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ecase.widgets import TextareaField

from ..choices import Role, UnitKind
from ..models import Unit, User, superior_prosecutor_fits
from ..services import RIGHTS_FIELDS


class UnitCodeField(forms.CharField):
    """A unit named by its code (the units page lists them), not chosen from a list of every unit:
    a country's tree is a few hundred units, and a select of all of them would outweigh the page
    budget (tests/test_page_weight.py)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The browser's limit only: a length validator would be run on the Unit ``to_python`` returns.
        self.widget.attrs["maxlength"] = str(Unit._meta.get_field("code").max_length)

    def prepare_value(self, value):
        return value.code if isinstance(value, Unit) else value

    def to_python(self, value) -> Unit | None:  # type: ignore[override]
        if isinstance(value, Unit):
            return value
        code = (super().to_python(value) or "").strip().upper()
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise ValidationError(_("No unit has the code %(code)s.") % {"code": code}, code="unknown_unit")
        return unit


def reason_field(required: bool = True) -> forms.CharField:
    return TextareaField(label=_("Reason"), required=required, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class UnitCreateForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=16, help_text=_("Digits and capital letters; in every registration number.")
    )
    parent = UnitCodeField(label=_("Code of the parent unit"), required=False, help_text=_("Empty for a region."))
    name_ru = forms.CharField(label=_("Name in Russian"), max_length=200)
    name_kk = forms.CharField(label=_("Name in Kazakh"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    city = forms.CharField(label=_("City"), max_length=100, help_text=_("Place printed on procedural acts."))


class UnitChangeForm(forms.Form):
    """Names, kind and city; the code and the place in the tree never change (``UNIT_FIELDS``)."""

    name_ru = forms.CharField(label=_("Name in Russian"), max_length=200)
    name_kk = forms.CharField(label=_("Name in Kazakh"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    city = forms.CharField(label=_("City"), max_length=100, help_text=_("Place printed on procedural acts."))
    reason = reason_field(required=False)


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Surname or username"), required=False, max_length=150)
    unit = forms.CharField(
        label=_("Unit code"), required=False, max_length=16, help_text=_("The unit and the units below it.")
    )
    role = forms.ChoiceField(label=_("Account role"), required=False, choices=[("", _("any")), *Role.choices])
    active = forms.ChoiceField(
        label=_("Active"), required=False, choices=[("", _("any")), ("yes", _("active")), ("no", _("deactivated"))]
    )


class PasswordFields(forms.Form):
    """A new password typed twice and checked against the password rules."""

    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def password_user(self) -> User | None:
        return None

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                validate_password(first, self.password_user())
            except ValidationError as error:
                self.add_error("password1", error)
        return data


class ProfileFields(forms.Form):
    last_name = forms.CharField(label=_("Surname"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    middle_name = forms.CharField(label=_("Patronymic"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Account role"), choices=Role.choices)
    unit = UnitCodeField(
        label=_("Unit code"), required=False, help_text=_("Everyone but an administrator has one; see Units.")
    )
    superior_prosecutor = forms.BooleanField(
        label=_("Superior prosecutor of the office"),
        required=False,
        help_text=_(
            "Head of a prosecutor's office or a deputy: decides on every case supervised from the office "
            "and the offices below it."
        ),
    )
    position = forms.CharField(
        label=_("Position in Russian"), max_length=200, required=False, help_text=_("Printed under the signature.")
    )
    position_kk = forms.CharField(
        label=_("Position in Kazakh"),
        max_length=200,
        required=False,
        help_text=_("Printed on Kazakh acts and pages; the Russian one when empty."),
    )
    language = forms.ChoiceField(label=_("Interface language"), choices=settings.LANGUAGES)

    def clean(self):
        data = super().clean()
        if data.get("role") and data["role"] != Role.ADMINISTRATOR and not data.get("unit"):
            self.add_error("unit", _("Everyone but an administrator works in a unit."))
        elif data.get("superior_prosecutor") and not superior_prosecutor_fits(data.get("role", ""), data.get("unit")):
            self.add_error(
                "superior_prosecutor", _("Only a prosecutor of a prosecutor's office can be a superior prosecutor.")
            )
        return data


class UserCreateForm(ProfileFields):
    username = forms.CharField(label=_("Username"), max_length=150)
    password1 = PasswordFields.base_fields["password1"]
    password2 = PasswordFields.base_fields["password2"]
    field_order = ["username", "last_name", "first_name", "middle_name", "email", "role", "unit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Without a password the user cannot sign in with one until an administrator sets it.
        for name in ("password1", "password2"):
            self.fields[name].required = False
            self.fields[name].help_text = _("Leave both empty to set the password later.")

    def clean(self):
        data = super().clean()
        first, second = data.get("password1") or "", data.get("password2") or ""
        if first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                validate_password(first, User(username=data.get("username") or "", last_name=data.get("last_name", "")))
            except ValidationError as error:
                self.add_error("password1", error)
        return data


class UserChangeForm(ProfileFields):
    """A user's card. On the administrator's own card role and unit are shown but not taken:
    he never changes his own rights (DESIGN §1), whatever is posted."""

    reason = reason_field(required=False)

    def __init__(self, *args, own: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if own:
            for name in RIGHTS_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Another administrator changes your own role and unit.")


class SetPasswordForm(PasswordFields):
    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def password_user(self) -> User | None:
        return self.user


class ReasonForm(forms.Form):
    reason = reason_field()
