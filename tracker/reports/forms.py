"""The filter form of every report page: a period, a branch, a tutor, a subject, and the
grouping where the report has one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tracker.finance.forms import PeriodForm, ScopeFilters
from tracker.reports.periods import Filters
from tracker.reports.selectors import GROUP_LABELS, ReportSpec


class ReportForm(PeriodForm, ScopeFilters):
    field_order = ("start", "end", "by", "branch", "tutor", "subject")
    by = forms.ChoiceField(label=_("Group by"), required=False)

    def __init__(self, *args: Any, spec: ReportSpec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec
        if spec.groups:
            self.fields["by"].choices = [(g, GROUP_LABELS[g]) for g in spec.groups]
        else:
            del self.fields["by"]
        self.fields["tutor"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            try:
                data["filters"] = Filters(
                    start=data["start"],
                    end=data["end"],
                    **{
                        name: data[name].pk
                        for name in ("branch", "tutor", "subject")
                        if data.get(name) is not None
                    },
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field, errors)
        return data

    @property
    def filters(self) -> Filters:
        return self.cleaned_data["filters"]

    @property
    def group(self) -> str | None:
        return self.cleaned_data.get("by") or None
