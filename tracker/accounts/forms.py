from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from tracker.accounts.models import Role, User
from tracker.accounts.permissions import Cap, can, manageable_roles
from tracker.accounts.services import resolve_username
from tracker.org.models import Branch, School


def _time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(zoneinfo.available_timezones())
    return [("", _("The business's time zone"))] + [(zone, zone) for zone in zones]


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean(self):
        if self.cleaned_data.get("username"):
            self.cleaned_data["username"] = resolve_username(self.cleaned_data["username"])
        return super().clean()


class ProfileForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zone_choices()


class AccountForm(forms.Form):
    """Create or edit an account; which fields show depends on the acting user's role."""

    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=())
    teaching_class = forms.CharField(
        label=_("Class"), max_length=120, required=False, help_text=_("What they teach.")
    )
    school = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.none(), required=False
    )
    branch = forms.ModelChoiceField(
        label=_("Branch"), queryset=Branch.objects.none(), required=False
    )
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    is_active = forms.BooleanField(label=_("Active (may sign in)"), required=False, initial=True)

    def __init__(self, *args, actor: User, editing: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        roles = manageable_roles(actor)
        self.fields["role"].choices = [(v, label) for v, label in Role.choices if v in roles]
        self.fields["school"].queryset = School.objects.filter(is_active=True)
        self.fields["branch"].queryset = Branch.objects.filter(is_active=True)
        if editing is not None and not can(actor, Cap.ACCOUNT_CHANGE_ROLE):
            del self.fields["role"]
        if editing is None or not can(actor, Cap.ACCOUNT_DEACTIVATE) or editing == actor:
            del self.fields["is_active"]


class AccountFilterForm(forms.Form):
    search = forms.CharField(label=_("Search"), required=False, max_length=100)
    role = forms.ChoiceField(label=_("Role"), required=False, choices=())
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Active")), ("no", _("Deactivated"))],
    )

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        roles = manageable_roles(actor)
        self.fields["role"].choices = [("", _("Any"))] + [
            (v, label) for v, label in Role.choices if v in roles
        ]

    def filters(self) -> dict[str, object]:
        if not self.is_valid():
            return {}
        active = {"yes": True, "no": False}.get(self.cleaned_data["active"])
        return {
            "search": self.cleaned_data["search"] or None,
            "role": self.cleaned_data["role"] or None,
            "active": active,
        }
