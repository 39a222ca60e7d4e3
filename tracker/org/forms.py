"""The add and edit forms of the settings page, one per lookup kind."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tracker.org.services import ADDRESS_MAX_LENGTH, NAME_MAX_LENGTH


def _name_field(label: str | Promise) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=NAME_MAX_LENGTH,
        # The same words the service uses for a name of only spaces.
        error_messages={"required": _("Enter a name.")},
    )


class LookupForm(forms.Form):
    """Shape checks only; uniqueness is the service's to decide, so pages and API agree."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Labels sit above their inputs, where a trailing colon reads as clutter.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class BranchForm(LookupForm):
    name = _name_field(_("Branch name"))
    address = forms.CharField(label=_("Address"), max_length=ADDRESS_MAX_LENGTH, required=False)


class SchoolForm(LookupForm):
    name = _name_field(_("School name"))


class SubjectForm(LookupForm):
    name = _name_field(_("Subject name"))
