"""Money: rates, the price of each verified session, invoices, payments and tutor pay.

Amounts are Decimal with two places in `settings.CURRENCY`. A price is fixed when its
session is verified (a `Charge` per student, a `TutorEarning` per session), so changing a
rate later never changes what was already earned.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tracker.lib.fields import EncryptedTextField

MONEY = {"max_digits": 12, "decimal_places": 2}
CENT = Decimal("0.01")


class Rate(models.Model):
    """What a student pays per hour from a date on: their default (no subject, no tutor),
    or an override for one subject, one tutor, or both."""

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="rates")
    subject = models.ForeignKey(
        "org.Subject", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    hourly_rate = models.DecimalField(
        _("hourly rate"), **MONEY, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(max_length=3)
    effective_from = models.DateField(_("effective from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["student_id", "-effective_from", "id"]
        indexes = [models.Index(fields=["student", "effective_from"])]
        constraints = [
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="rate_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.hourly_rate} {self.currency}/h from {self.effective_from}"


class PayBasis(models.TextChoices):
    HOUR = "hour", _("Per hour")
    SESSION = "session", _("Per session")


class TutorPayRate(models.Model):
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pay_rates"
    )
    basis = models.CharField(_("paid"), max_length=10, choices=PayBasis.choices)
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(max_length=3)
    effective_from = models.DateField(_("effective from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tutor_id", "-effective_from", "id"]
        indexes = [models.Index(fields=["tutor", "effective_from"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="pay_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(basis__in=PayBasis.values), name="pay_rate_basis_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} per {self.basis} from {self.effective_from}"


class ChargeKind(models.TextChoices):
    SESSION = "session", _("Session")
    NO_SHOW = "no_show", _("Missed without notice")
    LATE_CANCELLATION = "late_cancellation", _("Late cancellation")


class Charge(models.Model):
    """One student's price for one verified session. Tutor, branch, subject and the local
    date are copied from the session so that revenue reports read one table."""

    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.PROTECT, related_name="charges"
    )
    student = models.ForeignKey(
        "students.Student", on_delete=models.PROTECT, related_name="charges"
    )
    tutor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey(
        "org.Branch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.ForeignKey(
        "org.Subject", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    date = models.DateField()
    minutes = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=ChargeKind.choices)
    share_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(100))
    # None: no rate applied on that day; the charge waits (unpriced) until one is set.
    hourly_rate = models.DecimalField(**MONEY, null=True, blank=True)
    amount = models.DecimalField(**MONEY, default=Decimal(0))
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["date"]),
            models.Index(fields=["student", "date"]),
            models.Index(fields=["tutor", "date"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["session", "student"], name="charge_once_per_seat"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="charge_not_negative"),
            models.CheckConstraint(
                condition=Q(kind__in=ChargeKind.values), name="charge_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for {self.student_id} at {self.session_id}"

    @property
    def priced(self) -> bool:
        return self.hourly_rate is not None


class IncomeDay(models.Model):
    """A day's income: the sum of that day's charges. `pricing` keeps it in step in the
    transaction that writes the charges, so that a dashboard reads a year as 365 rows
    instead of every charge; `rebuild_income_days` recounts it from the charges."""

    date = models.DateField(unique=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    minutes = models.BigIntegerField(default=0)
    charges = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.amount}"


class TutorEarning(models.Model):
    """What the tutor is owed for one verified session, fixed at verification."""

    session = models.OneToOneField(
        "scheduling.Session", on_delete=models.PROTECT, related_name="tutor_earning"
    )
    tutor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    minutes = models.PositiveIntegerField()
    basis = models.CharField(max_length=10, choices=PayBasis.choices, blank=True)
    rate = models.DecimalField(**MONEY, null=True, blank=True)
    share_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(100))
    amount = models.DecimalField(**MONEY, default=Decimal(0))
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["tutor", "date"]), models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} to {self.tutor_id} for {self.session_id}"


class Payer(models.Model):
    """Who pays: a guardian for one or several students, or an adult student. Contact
    details are personal data, encrypted at rest."""

    name = EncryptedTextField(_("name"))
    email = EncryptedTextField(_("e-mail"))
    address = EncryptedTextField(_("address"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or f"Payer {self.pk}"


class PayerStudent(models.Model):
    """A student is billed to exactly one payer."""

    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, related_name="links")
    student = models.OneToOneField(
        "students.Student", on_delete=models.CASCADE, related_name="payer_link"
    )

    def __str__(self) -> str:
        return f"{self.student_id} → {self.payer_id}"


class NumberSeries(models.Model):
    """A gap-free numbering (INV, CN): the next number is taken under a row lock inside the
    issuing transaction, so a rolled-back issue gives its number back."""

    prefix = models.CharField(max_length=10, unique=True)
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "number series"

    def __str__(self) -> str:
        return self.prefix


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


class Invoice(models.Model):
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="invoices")
    series = models.ForeignKey(NumberSeries, on_delete=models.PROTECT, null=True, blank=True)
    number = models.PositiveIntegerField(null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    # Kept equal to the sum of the lines by the services (tested as a property); credit
    # notes are negative.
    total = models.DecimalField(**MONEY, default=Decimal(0))
    credited_invoice = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    # Frozen when issued: the document keeps what it said even if the payer changes later.
    payer_name = EncryptedTextField()
    payer_email = EncryptedTextField()
    payer_address = EncryptedTextField()
    void_reason = models.CharField(max_length=300, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["payer", "status"]),
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["issue_date"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="invoice_number_unique"),
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.DRAFT, number__isnull=True)
                | (~Q(status=InvoiceStatus.DRAFT) & Q(number__isnull=False)),
                name="invoice_numbered_once_issued",
            ),
            models.CheckConstraint(
                condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=InvoiceKind.values), name="invoice_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        if self.number is None:
            return f"Draft {self.pk}"
        return f"{self.series.prefix}-{self.number:06d}"

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT


class LineKind(models.TextChoices):
    SESSION = "session", _("Session")
    ITEM = "item", _("Item")
    DISCOUNT = "discount", _("Discount")
    CREDIT = "credit", _("Credit")


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=LineKind.choices)
    # One line per charge at most: a session is never on two live invoices. Voiding an
    # invoice lets go of its charges (the line keeps its text) so they can be billed again.
    charge = models.OneToOneField(
        Charge, on_delete=models.PROTECT, null=True, blank=True, related_name="line"
    )
    student = models.ForeignKey(
        "students.Student", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    date = models.DateField(null=True, blank=True)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(1))
    unit_price = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description


class PaymentMethod(models.TextChoices):
    EFT = "eft", _("Bank transfer")
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class Payment(models.Model):
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="payments")
    received_on = models.DateField(_("received on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(max_length=3)
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices)
    reference = EncryptedTextField(_("reference"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["payer", "received_on"]),
            models.Index(fields=["received_on"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=Q(method__in=PaymentMethod.values), name="payment_method_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.received_on}"


class Allocation(models.Model):
    """Part of a payment set against an invoice; what is not allocated is the payer's credit."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="allocation_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of {self.payment_id} to {self.invoice_id}"
