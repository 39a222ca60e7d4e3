"""Model fields whose values are encrypted in the database (see tracker.lib.crypto)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.lib.crypto import key_ring


class EncryptedTextField(models.TextField):
    """Text stored as AES-GCM ciphertext bound to `<table>.<column>`.

    Values cannot be filtered or sorted in SQL: search on plaintext columns instead.
    The empty string is stored as is, so "not given" stays cheap and visible.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    @property
    def context(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def to_text(self, value: Any) -> str:
        return "" if value is None else str(value)

    def from_text(self, text: str) -> Any:
        return text

    def get_prep_value(self, value: Any) -> str:
        text = self.to_text(value)
        if text == "":
            return ""
        return key_ring().encrypt(text, context=self.context)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if not value:
            return self.from_text("")
        return self.from_text(key_ring().decrypt(value, context=self.context))

    def to_python(self, value: Any) -> Any:
        return value

    def get_internal_type(self) -> str:
        return "TextField"


class EncryptedDateField(EncryptedTextField):
    """A date, encrypted; None when not given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("default", None)
        super().__init__(*args, **kwargs)

    def to_text(self, value: Any) -> str:
        if value in (None, ""):
            return ""
        if isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        return value.isoformat()

    def from_text(self, text: str) -> datetime.date | None:
        return datetime.date.fromisoformat(text) if text else None

    def to_python(self, value: Any) -> datetime.date | None:
        if value in (None, "") or isinstance(value, datetime.date):
            return value or None
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="invalid") from None

    def formfield(self, **kwargs: Any):
        from django import forms

        return super(models.TextField, self).formfield(form_class=forms.DateField, **kwargs)
