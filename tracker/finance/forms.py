"""Forms of the finance pages. They parse input only; the services decide what is allowed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.accounts.models import Role, User
from tracker.finance.models import (
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PayBasis,
    Payer,
    PaymentMethod,
)
from tracker.finance.selectors import AGGREGATE_GROUPS
from tracker.org.models import Branch, Subject
from tracker.students.models import Student, StudentStatus

GROUP_CHOICES = {
    "month": _("Month"),
    "branch": _("Branch"),
    "student": _("Student"),
    "tutor": _("Tutor"),
    "subject": _("Subject"),
}


def _date(label, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def _money(label, **kwargs) -> forms.DecimalField:
    # Decimal in whole cents; the services check the range and say why in their own words.
    attrs = {"inputmode": "decimal", "step": "0.01"}
    return forms.DecimalField(
        label=label, max_digits=12, decimal_places=2, widget=forms.NumberInput(attrs), **kwargs
    )


def this_year() -> dict[str, date]:
    today = timezone.localdate()
    return {"start": today.replace(month=1, day=1), "end": today.replace(month=12, day=31)}


def last_month() -> dict[str, date]:
    end = timezone.localdate().replace(day=1) - timedelta(days=1)
    return {"start": end.replace(day=1), "end": end}


class QueryForm(forms.Form):
    """A filter form read from the query string, with defaults filled in where a value is
    missing, so that the page, its inputs and its export links show the same period."""

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def from_query(cls, query: QueryDict, **kwargs: Any) -> QueryForm:
        data = query.copy()
        data.pop("page", None)
        for name, value in cls.defaults().items():
            if not data.get(name):
                data[name] = value.isoformat() if isinstance(value, date) else value
        return cls(data, **kwargs)


class PeriodForm(QueryForm):
    start = _date(_("From"))
    end = _date(_("To"))

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return this_year()


class PayPeriodForm(PeriodForm):
    @classmethod
    def defaults(cls) -> dict[str, Any]:
        # Payroll is run for the month just finished.
        return last_month()


class ScopeFilters(forms.Form):
    """Branch, tutor and subject, each optional: the filters every report takes."""

    branch = forms.ModelChoiceField(
        label=_("Branch"), queryset=Branch.objects.all(), required=False,
        empty_label=_("Every branch"),
    )  # fmt: skip
    tutor = forms.ModelChoiceField(
        label=_("Tutor"), queryset=User.objects.filter(role=Role.TUTOR), required=False,
        empty_label=_("Every tutor"),
    )  # fmt: skip
    subject = forms.ModelChoiceField(
        label=_("Subject"), queryset=Subject.objects.all(), required=False,
        empty_label=_("Every subject"),
    )  # fmt: skip


class RevenueForm(PeriodForm, ScopeFilters):
    field_order = ("start", "end", "by", "branch", "tutor", "subject")
    by = forms.ChoiceField(label=_("Group by"), choices=list(GROUP_CHOICES.items()))

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {**this_year(), "by": "month"}

    def __init__(self, *args: Any, detail: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not detail:
            # Aggregates only. Every grouping still parses, so that asking for a finer one
            # reaches the selector and is refused there (403) rather than quietly changed.
            self.fields["by"].widget.choices = [
                (key, GROUP_CHOICES[key]) for key in AGGREGATE_GROUPS
            ]
            del self.fields["tutor"], self.fields["subject"]
        else:
            self.fields["tutor"].label_from_instance = _person

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        chosen = {"start": data["start"], "end": data["end"], "by": data["by"]}
        for name in ("branch", "tutor", "subject"):
            if data.get(name) is not None:
                chosen[name] = data[name].pk
        return chosen


def _person(user: User) -> str:
    return user.get_full_name() or user.username


class InvoiceFilterForm(QueryForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *InvoiceStatus.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Invoices and credit notes")),
                                                  *InvoiceKind.choices],
    )  # fmt: skip
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    payer = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "status": data["status"] or None,
            "kind": data["kind"] or None,
            "overdue": data["overdue"],
            "payer": data["payer"],
        }


class GenerateForm(forms.Form):
    start = _date(_("First day"))
    end = _date(_("Last day"))
    per = forms.ChoiceField(
        label=_("One invoice"),
        choices=[("payer", _("per payer (a guardian's students together)")),
                 ("student", _("per student"))],
        widget=forms.RadioSelect,
    )  # fmt: skip


class LineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=300)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=8, decimal_places=2, initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )  # fmt: skip
    unit_price = _money(_("Unit price"))


class DiscountForm(forms.Form):
    description = forms.CharField(
        label=_("Description"), max_length=300, required=False,
        help_text=_("Optional; “Discount” when left empty."),
    )  # fmt: skip
    amount = _money(_("Amount"), required=False)
    percent = forms.DecimalField(
        label=_("or a percentage of the lines so far"), max_digits=5, decimal_places=2,
        required=False, widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )  # fmt: skip


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Why is it void?"), max_length=300)
    confirm = forms.BooleanField(
        label=_("I understand that a void invoice keeps its number and cannot be reissued."),
    )


class CreditNoteForm(forms.Form):
    amount = _money(_("Amount to credit"))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class PaymentForm(forms.Form):
    payer = forms.ModelChoiceField(
        label=_("Payer"), queryset=Payer.objects.order_by("id"), empty_label=_("Choose a payer")
    )
    amount = _money(_("Amount"))
    received_on = _date(_("Received on"))
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Reference"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class AllocateForm(forms.Form):
    # The payer's open invoices, read once for the page; the service checks the choice.
    invoice = forms.TypedChoiceField(label=_("Invoice"), coerce=int)
    amount = _money(_("Amount"))

    def __init__(self, *args: Any, invoices: list[Invoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoice"].choices = [("", _("Choose an invoice"))] + [
            (i.pk, i.display_number) for i in invoices
        ]


class PayerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    students = forms.ModelMultipleChoiceField(
        label=_("Students billed to this payer"),
        queryset=Student.objects.exclude(status=StudentStatus.ARCHIVED),
        required=False,
        help_text=_(
            "A student is billed to one payer; choosing them here moves them from their "
            "current payer. Invoices already made stay with the payer they were made for."
        ),
    )


class BalancesForm(QueryForm):
    as_of = _date(_("As of"))

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {"as_of": timezone.localdate()}


class RateForm(forms.Form):
    student = forms.ModelChoiceField(
        label=_("Student"), queryset=Student.objects.exclude(status=StudentStatus.ARCHIVED),
        empty_label=_("Choose a student"),
    )  # fmt: skip
    subject = forms.ModelChoiceField(
        label=_("Only for the subject"), queryset=Subject.objects.filter(is_active=True),
        required=False, empty_label=_("Any subject"),
    )  # fmt: skip
    tutor = forms.ModelChoiceField(
        label=_("Only with the tutor"),
        queryset=User.objects.filter(role=Role.TUTOR, is_active=True),
        required=False,
        empty_label=_("Any tutor"),
    )
    hourly_rate = _money(_("Hourly rate"))
    effective_from = _date(_("Effective from"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tutor"].label_from_instance = _person


class PayRateForm(forms.Form):
    tutor = forms.ModelChoiceField(
        label=_("Tutor"), queryset=User.objects.filter(role=Role.TUTOR, is_active=True),
        empty_label=_("Choose a tutor"),
    )  # fmt: skip
    basis = forms.ChoiceField(label=_("Paid"), choices=PayBasis.choices)
    amount = _money(_("Amount"))
    effective_from = _date(_("Effective from"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tutor"].label_from_instance = _person
