from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tracker.accounts.models import User
from tracker.search.selectors import KINDS, MAX_LENGTH, clean_query, kinds_for


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Words to find"),
        max_length=MAX_LENGTH,
        required=False,
        widget=forms.SearchInput(attrs={"autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("Show"), required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the kinds this person may search are offered (or accepted).
        choices = [(name, KINDS[name].label) for name in kinds_for(user)]
        self.fields["kind"].choices = [("", _("Everything")), *choices]

    def clean_q(self) -> str:
        return clean_query(self.cleaned_data["q"])
