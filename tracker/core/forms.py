from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's validation errors next to the matching fields of a page's form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class FormRenderer(TemplatesSetting):
    """Wraps every field group in `<div class="field">`, the shape forms.css styles."""

    field_template_name = "forms/field.html"
