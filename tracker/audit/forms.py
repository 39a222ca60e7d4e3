from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    # The browser's own date picker, and ISO dates that it sends back.
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AuditFilterForm(forms.Form):
    """The audit page's filters; every field is optional and an empty one filters nothing."""

    actor = forms.CharField(
        label=_("Actor"), required=False, max_length=150, help_text=_("Exact username.")
    )
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=100,
        help_text=_("A code or its start, e.g. accounts."),
    )
    target_type = forms.CharField(
        label=_("Target type"),
        required=False,
        max_length=50,
        help_text=_("For example accounts.user."),
    )
    target_id = forms.CharField(label=_("Target id"), required=False, max_length=64)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", _("The last day must be on or after the first day."))
        return cleaned
