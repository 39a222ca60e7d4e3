from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tracker.attendance.models import CancelledBy, Presence
from tracker.scheduling.models import Session


class LogForm(forms.Form):
    """Completed (everyone present unless marked otherwise) or cancelled, plus a note."""

    outcome = forms.ChoiceField(
        choices=[("completed", _("Completed")), ("cancelled", _("Cancelled"))],
        widget=forms.HiddenInput,
    )
    note = forms.CharField(
        label=_("What was covered"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    cancelled_by = forms.ChoiceField(
        label=_("Who cancelled"), required=False, choices=[("", "—"), *CancelledBy.choices]
    )

    def __init__(self, *args, session: Session, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        for student in session.students.all():
            self.fields[f"presence_{student.pk}"] = forms.ChoiceField(
                label=f"{student.first_name} {student.last_name}",
                choices=Presence.choices,
                initial=Presence.PRESENT,
                required=False,
            )

    def attendance(self) -> dict[int, str]:
        return {
            int(name.removeprefix("presence_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("presence_") and value
        }


class VerifyFilterForm(forms.Form):
    week = forms.DateField(
        label=_("Week of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
