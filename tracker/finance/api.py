"""/api/v1/finance: revenue, rates, payers, invoices, payments, balances and tutor pay.

Every route parses, calls a finance selector or service and shapes the answer; the role
checks live in those functions (admins for everything, moderators for revenue per month
or per branch only). Money leaves as a string with two decimals ("450.00"), never as a
float, and arrives as a decimal with at most two places.

No `from __future__ import annotations`: ninja reads these annotations at import time.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate
from pydantic import PlainSerializer

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, can
from tracker.accounts.selectors import get_user_for_user
from tracker.finance import reports, selectors, services
from tracker.finance.documents import invoice_filename, invoice_pdf
from tracker.finance.models import (
    Allocation,
    Charge,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    PayBasis,
    Payer,
    Payment,
    PaymentMethod,
    Rate,
    TutorPayRate,
)
from tracker.lib.tabular import XLSX_TYPE, table_response
from tracker.org.selectors import get_lookup_for_user
from tracker.students.selectors import get_student_for_user

router = Router(tags=["finance"])

T = TypeVar("T")


def _two_places(value: Decimal) -> str:
    # Adding zero turns a negative zero (a fully credited balance) into "0.00".
    return f"{value + 0:.2f}"


Money = Annotated[Decimal, PlainSerializer(_two_places, return_type=str)]
AmountIn = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
PriceIn = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
ExportFormat = Literal["csv", "xlsx"]
FORMAT = Query("csv", alias="format", description="csv or xlsx")
DOWNLOAD = {
    "responses": {
        200: {
            "description": "The report as CSV or as an XLSX spreadsheet",
            "content": {"text/csv": {}, XLSX_TYPE: {}},
        }
    }
}


def _reference(field: str, lookup: Callable[[], T]) -> T:
    """A record named in a request body: one that does not exist, or that the user may not
    see, is a field error rather than a 404 for the whole request."""
    try:
        return lookup()
    except Http404:
        raise ValidationError({field: [_("There is no such record.")]}) from None


def _person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": user.get_full_name() or user.username}


# --- Shapes ----------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class Period(Schema):
    start: date
    end: date


class RevenueFilters(Period):
    by: Literal["month", "branch", "student", "tutor", "subject"] = "month"
    branch: int | None = None
    tutor: int | None = None
    subject: int | None = None
    student: int | None = None


class RevenueRowOut(Schema):
    key: date | int | None = Field(description="First day of the month, or the record's id")
    label: str
    sessions: int
    hours: Money
    amount: Money

    @staticmethod
    def resolve_key(row: Any) -> date | int | None:
        # Sessions without a branch or a subject are grouped under key 0 by the selector.
        return row.key or None


class RevenueOut(Schema):
    by: str
    start: date
    end: date
    currency: str
    rows: list[RevenueRowOut]
    total: Money
    sessions: int
    hours: Money


class RateIn(Schema):
    student: int
    hourly_rate: PriceIn
    effective_from: date
    subject: int | None = Field(None, description="Only for this subject")
    tutor: int | None = Field(None, description="Only with this tutor")


class RateOut(Schema):
    id: int
    student: Ref
    subject: Ref | None
    tutor: Ref | None
    hourly_rate: Money
    currency: str
    effective_from: date

    @staticmethod
    def resolve_student(rate: Rate) -> dict[str, Any]:
        return {"id": rate.student_id, "name": rate.student.full_name}

    @staticmethod
    def resolve_subject(rate: Rate) -> dict[str, Any] | None:
        return {"id": rate.subject_id, "name": rate.subject.name} if rate.subject_id else None

    @staticmethod
    def resolve_tutor(rate: Rate) -> dict[str, Any] | None:
        return _person(rate.tutor) if rate.tutor_id else None


class PayRateIn(Schema):
    tutor: int
    basis: PayBasis
    amount: PriceIn
    effective_from: date


class PayRateOut(Schema):
    id: int
    tutor: Ref
    basis: PayBasis
    amount: Money
    currency: str
    effective_from: date

    @staticmethod
    def resolve_tutor(pay: TutorPayRate) -> dict[str, Any]:
        return _person(pay.tutor)


class PayerIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=500)
    students: list[int] = Field([], description="Billed to this payer from now on")


class PayerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, max_length=254)
    address: str | None = Field(None, max_length=500)
    students: list[int] | None = Field(None, description="Billed to this payer from now on")


class PayerOut(Schema):
    id: int
    name: str
    email: str
    address: str
    students: list[Ref]

    @staticmethod
    def resolve_students(payer: Payer) -> list[dict[str, Any]]:
        return [{"id": link.student_id, "name": link.student.full_name}
                for link in payer.links.all()]  # fmt: skip


class InvoiceFilters(Schema):
    status: InvoiceStatus | None = None
    kind: InvoiceKind | None = None
    payer: int | None = None
    overdue: bool = Field(False, description="Issued and past the due date")


class GenerateIn(Period):
    per: Literal["payer", "student"] = "payer"
    students: list[int] | None = Field(None, description="Only these students' sessions")


class InvoiceOut(Schema):
    id: int
    number: str = Field(alias="display_number", description='"INV-000001", or "Draft 7"')
    kind: InvoiceKind
    status: InvoiceStatus
    payer: Ref
    credited_invoice: int | None = Field(alias="credited_invoice_id")
    period_start: date | None
    period_end: date | None
    issue_date: date | None
    due_date: date | None
    currency: str
    total: Money
    void_reason: str
    created_at: datetime

    @staticmethod
    def resolve_payer(invoice: Invoice) -> dict[str, Any]:
        # An issued document keeps the name it was sent to.
        return {"id": invoice.payer_id, "name": invoice.payer_name or invoice.payer.name}


class LineOut(Schema):
    id: int
    kind: str
    date: date | None
    student: Ref | None
    description: str
    quantity: Money
    unit_price: Money
    amount: Money

    @staticmethod
    def resolve_student(line: InvoiceLine) -> dict[str, Any] | None:
        return {"id": line.student_id, "name": line.student.full_name} if line.student_id else None


class InvoiceAllocationOut(Schema):
    payment: int = Field(alias="payment_id")
    received_on: date
    method: PaymentMethod
    amount: Money

    @staticmethod
    def resolve_received_on(allocation: Allocation) -> date:
        return allocation.payment.received_on

    @staticmethod
    def resolve_method(allocation: Allocation) -> str:
        return allocation.payment.method


class CreditNoteRef(Schema):
    id: int
    number: str = Field(alias="display_number")
    status: InvoiceStatus
    total: Money
    issue_date: date | None


class InvoiceDetailOut(Schema):
    invoice: InvoiceOut
    lines: list[LineOut]
    allocations: list[InvoiceAllocationOut]
    credit_notes: list[CreditNoteRef]
    outstanding: Money | None = Field(description="Still owed; none for a draft")


class LineIn(Schema):
    description: str = Field(min_length=1, max_length=300)
    unit_price: PriceIn
    quantity: Decimal = Field(Decimal(1), gt=0, le=9999, max_digits=6, decimal_places=2)


class DiscountIn(Schema):
    """Either an amount or a percentage of the lines so far (the service says which is missing)."""

    amount: AmountIn | None = None
    percent: Decimal | None = Field(None, gt=0, le=100, max_digits=5, decimal_places=2)
    description: str = Field("", max_length=300)


class VoidIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class CreditNoteIn(Schema):
    amount: AmountIn
    reason: str = Field(min_length=1, max_length=250)


class PaymentIn(Schema):
    payer: int
    amount: AmountIn
    received_on: date
    method: PaymentMethod
    reference: str = Field("", max_length=200)
    note: str = Field("", max_length=300)
    allocations: dict[int, AmountIn] | None = Field(
        None, description="invoice id → amount; left out, the oldest open invoices come first"
    )


class AllocateIn(Schema):
    invoice: int
    amount: AmountIn


class PaymentAllocationOut(Schema):
    invoice: int = Field(alias="invoice_id")
    number: str
    amount: Money

    @staticmethod
    def resolve_number(allocation: Allocation) -> str:
        return allocation.invoice.display_number


class PaymentOut(Schema):
    id: int
    payer: Ref
    received_on: date
    amount: Money
    currency: str
    method: PaymentMethod
    reference: str | None = Field(description="Administrators only")
    note: str
    allocated: Money
    unallocated: Money
    allocations: list[PaymentAllocationOut]

    @staticmethod
    def resolve_payer(payment: Payment) -> dict[str, Any]:
        return {"id": payment.payer_id, "name": payment.payer.name}

    @staticmethod
    def resolve_reference(payment: Payment, context: dict[str, Any]) -> str | None:
        # The reference can identify a bank account: it stays admin-only even if a payment
        # list is ever opened to another role.
        return payment.reference if can(context["request"].auth, Cap.FINANCE_DETAIL) else None

    @staticmethod
    def resolve_unallocated(payment: Payment) -> Decimal:
        return payment.amount - payment.allocated


class BalanceFilters(Schema):
    as_of: date | None = Field(None, description="Age the debts on this day; today if left out")
    payer: int | None = None


class BalanceRowOut(Schema):
    payer: Ref
    invoiced: Money
    paid: Money
    balance: Money = Field(description="Positive is owed, negative is credit")
    credit: Money
    current: Money
    days_30: Money
    days_60: Money
    days_90: Money
    days_over_90: Money
    overdue: Money

    @staticmethod
    def resolve_payer(row: selectors.Balance) -> dict[str, Any]:
        return {"id": row.payer.pk, "name": row.payer.name}


class BalancesOut(Schema):
    as_of: date
    currency: str
    rows: list[BalanceRowOut]


class TutorPayFilters(Period):
    tutor: int | None = None


class PayRowOut(Schema):
    tutor: Ref
    email: str
    sessions: int
    hours: Money
    amount: Money
    without_rate: int = Field(description="Sessions verified while the tutor had no pay rate")

    @staticmethod
    def resolve_tutor(row: selectors.PayRow) -> dict[str, Any]:
        return _person(row.tutor)

    @staticmethod
    def resolve_email(row: selectors.PayRow) -> str:
        return row.tutor.email


class TutorPayOut(Period):
    currency: str
    rows: list[PayRowOut]
    sessions: int
    hours: Money
    total: Money


class UnpricedOut(Schema):
    id: int
    session: int = Field(alias="session_id")
    date: date
    student: Ref
    subject: str | None
    minutes: int
    kind: str

    @staticmethod
    def resolve_student(charge: Charge) -> dict[str, Any]:
        return {"id": charge.student_id, "name": charge.student.full_name}

    @staticmethod
    def resolve_subject(charge: Charge) -> str | None:
        subject = charge.session.subject
        return subject.name if subject else None


# --- Revenue ---------------------------------------------------------------------------


def _revenue(request: HttpRequest, filters: RevenueFilters) -> selectors.Revenue:
    return selectors.revenue(user=request.auth, **filters.dict())


@router.get("/revenue", response=RevenueOut, summary="Income from verified sessions, grouped")
def revenue(request: HttpRequest, filters: Query[RevenueFilters]) -> dict[str, Any]:
    report = _revenue(request, filters)
    return {
        "by": report.by, "start": report.start, "end": report.end,
        "currency": settings.CURRENCY, "rows": report.rows, "total": report.total,
        "sessions": report.sessions, "hours": report.hours,
    }  # fmt: skip


@router.get("/revenue/export", summary="Revenue as CSV or XLSX", openapi_extra=DOWNLOAD)
def revenue_export(
    request: HttpRequest, filters: Query[RevenueFilters], fmt: ExportFormat = FORMAT
) -> HttpResponse:
    report = _revenue(request, filters)
    table = reports.revenue_table(report, settings.CURRENCY)
    return table_response(table, f"revenue-by-{report.by}-{report.start}-{report.end}", fmt)


@router.get("/unpriced", response=list[UnpricedOut], summary="Verified sessions waiting for a rate")
@paginate(CursorPagination, ordering=("date", "id"))
def unpriced(request: HttpRequest) -> QuerySet[Charge]:
    return selectors.unpriced_charges(user=request.auth)


# --- Rates -----------------------------------------------------------------------------


@router.get("/rates", response=list[RateOut], summary="Students' hourly rates")
@paginate(CursorPagination, ordering=("student_id", "-effective_from", "-id"))
def rates_list(request: HttpRequest, student: int | None = None) -> QuerySet[Rate]:
    return selectors.rate_list(user=request.auth, student=student)


@router.post("/rates", response={201: RateOut}, summary="Set a rate from a date on")
def rates_create(request: HttpRequest, payload: RateIn) -> Status:
    user = request.auth
    student = _reference(
        "student", lambda: get_student_for_user(user=user, student_id=payload.student)
    )
    subject = payload.subject and _reference(
        "subject", lambda: get_lookup_for_user(user=user, kind="subject", obj_id=payload.subject)
    )
    tutor = payload.tutor and _reference(
        "tutor", lambda: get_user_for_user(user=user, user_id=payload.tutor)
    )
    rate = services.rate_set(
        actor=user, student=student, hourly_rate=payload.hourly_rate,
        effective_from=payload.effective_from, subject=subject or None, tutor=tutor or None,
    )  # fmt: skip
    return Status(201, rate)


@router.delete("/rates/{int:rate_id}", response={204: None}, summary="Remove a rate")
def rates_delete(request: HttpRequest, rate_id: int) -> Status:
    services.rate_remove(actor=request.auth, rate_id=rate_id)
    return Status(204, None)


@router.get("/pay-rates", response=list[PayRateOut], summary="Tutors' pay rates")
@paginate(CursorPagination, ordering=("tutor_id", "-effective_from", "-id"))
def pay_rates_list(request: HttpRequest) -> QuerySet[TutorPayRate]:
    return selectors.pay_rate_list(user=request.auth)


@router.post("/pay-rates", response={201: PayRateOut}, summary="Set a tutor's pay from a date on")
def pay_rates_create(request: HttpRequest, payload: PayRateIn) -> Status:
    user = request.auth
    tutor = _reference("tutor", lambda: get_user_for_user(user=user, user_id=payload.tutor))
    pay = services.pay_rate_set(
        actor=user, tutor=tutor, basis=payload.basis, amount=payload.amount,
        effective_from=payload.effective_from,
    )  # fmt: skip
    return Status(201, pay)


# --- Payers ----------------------------------------------------------------------------


def _students(user: User, ids: list[int]) -> list[Any]:
    return [
        _reference("students", lambda pk=pk: get_student_for_user(user=user, student_id=pk))
        for pk in dict.fromkeys(ids)
    ]


@router.get("/payers", response=list[PayerOut], summary="Who pays for whom")
@paginate(CursorPagination, ordering=("id",))
def payers_list(request: HttpRequest) -> QuerySet[Payer]:
    return selectors.payer_list(user=request.auth)


@router.post("/payers", response={201: PayerOut}, summary="Add a payer")
def payers_create(request: HttpRequest, payload: PayerIn) -> Status:
    user = request.auth
    payer = services.payer_save(
        actor=user, name=payload.name, email=payload.email, address=payload.address,
        students=_students(user, payload.students) if payload.students else (),
    )  # fmt: skip
    return Status(201, selectors.get_payer_for_user(user=user, payer_id=payer.pk))


@router.get("/payers/{int:payer_id}", response=PayerOut, summary="One payer")
def payers_detail(request: HttpRequest, payer_id: int) -> Payer:
    return selectors.get_payer_for_user(user=request.auth, payer_id=payer_id)


@router.patch("/payers/{int:payer_id}", response=PayerOut, summary="Edit a payer")
def payers_update(request: HttpRequest, payer_id: int, payload: PayerPatch) -> Payer:
    user = request.auth
    payer = selectors.get_payer_for_user(user=user, payer_id=payer_id)
    changes = payload.dict(exclude_unset=True)
    services.payer_save(
        actor=user, payer=payer,
        name=changes.get("name") or payer.name,
        email=changes.get("email", payer.email) or "",
        address=changes.get("address", payer.address) or "",
        students=_students(user, changes.get("students") or []),
    )  # fmt: skip
    return selectors.get_payer_for_user(user=user, payer_id=payer.pk)


# --- Invoices --------------------------------------------------------------------------


def _invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    return selectors.get_invoice_for_user(user=request.auth, invoice_id=invoice_id)


def _detail(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    return selectors.invoice_detail(user=request.auth, invoice_id=invoice_id)


@router.get("/invoices", response=list[InvoiceOut], summary="Invoices and credit notes")
@paginate(CursorPagination, ordering=("-id",))
def invoices_list(request: HttpRequest, filters: Query[InvoiceFilters]) -> QuerySet[Invoice]:
    return selectors.invoice_list(user=request.auth, **filters.dict())


@router.get("/invoices/export", summary="Invoices as CSV or XLSX", openapi_extra=DOWNLOAD)
def invoices_export(
    request: HttpRequest, filters: Query[InvoiceFilters], fmt: ExportFormat = FORMAT
) -> HttpResponse:
    invoices = selectors.invoice_list(user=request.auth, **filters.dict())
    return table_response(reports.invoices_table(invoices), "invoices", fmt)


@router.post(
    "/invoices/generate",
    response={201: list[InvoiceOut]},
    summary="Draft invoices for a period's verified sessions not yet invoiced",
)
def invoices_generate(request: HttpRequest, payload: GenerateIn) -> Status:
    user = request.auth
    invoices = services.invoices_generate(actor=user, **payload.dict())
    ids = [invoice.pk for invoice in invoices]
    return Status(201, selectors.invoice_list(user=user).filter(pk__in=ids).order_by("id"))


@router.get("/invoices/{int:invoice_id}", response=InvoiceDetailOut, summary="One invoice")
def invoices_detail(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    return _detail(request, invoice_id)


@router.delete("/invoices/{int:invoice_id}", response={204: None}, summary="Delete a draft")
def invoices_delete(request: HttpRequest, invoice_id: int) -> Status:
    services.invoice_delete(actor=request.auth, invoice=_invoice(request, invoice_id))
    return Status(204, None)


@router.post(
    "/invoices/{int:invoice_id}/lines",
    response={201: InvoiceDetailOut},
    summary="Add a line to a draft",
)
def invoices_line_add(request: HttpRequest, invoice_id: int, payload: LineIn) -> Status:
    services.line_add(actor=request.auth, invoice=_invoice(request, invoice_id), **payload.dict())
    return Status(201, _detail(request, invoice_id))


@router.delete(
    "/invoices/{int:invoice_id}/lines/{int:line_id}",
    response=InvoiceDetailOut,
    summary="Take a line off a draft",
)
def invoices_line_remove(request: HttpRequest, invoice_id: int, line_id: int) -> dict[str, Any]:
    invoice = _invoice(request, invoice_id)
    services.line_remove(actor=request.auth, invoice=invoice, line_id=line_id)
    return _detail(request, invoice_id)


@router.post(
    "/invoices/{int:invoice_id}/discount",
    response={201: InvoiceDetailOut},
    summary="Add a discount (an amount or a percentage) to a draft",
)
def invoices_discount(request: HttpRequest, invoice_id: int, payload: DiscountIn) -> Status:
    services.discount_add(
        actor=request.auth, invoice=_invoice(request, invoice_id), **payload.dict()
    )
    return Status(201, _detail(request, invoice_id))


@router.post(
    "/invoices/{int:invoice_id}/issue",
    response=InvoiceDetailOut,
    summary="Number, freeze and e-mail a draft",
)
def invoices_issue(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    services.invoice_issue(actor=request.auth, invoice=_invoice(request, invoice_id))
    return _detail(request, invoice_id)


@router.post(
    "/invoices/{int:invoice_id}/void",
    response=InvoiceDetailOut,
    summary="Void an issued document; it keeps its number",
)
def invoices_void(request: HttpRequest, invoice_id: int, payload: VoidIn) -> dict[str, Any]:
    invoice = _invoice(request, invoice_id)
    services.invoice_void(actor=request.auth, invoice=invoice, reason=payload.reason)
    return _detail(request, invoice_id)


@router.post(
    "/invoices/{int:invoice_id}/credit-notes",
    response={201: InvoiceDetailOut},
    summary="Draft a credit note against an issued invoice",
)
def invoices_credit(request: HttpRequest, invoice_id: int, payload: CreditNoteIn) -> Status:
    note = services.credit_note_create(
        actor=request.auth, invoice=_invoice(request, invoice_id), **payload.dict()
    )
    return Status(201, _detail(request, note.pk))


@router.get(
    "/invoices/{int:invoice_id}/pdf",
    summary="The invoice as a PDF (a draft gives a preview)",
    openapi_extra={"responses": {200: {"description": "The PDF",
                                       "content": {"application/pdf": {}}}}},
)  # fmt: skip
def invoices_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(request, invoice_id)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice_filename(invoice)}"'
    return response


# --- Payments --------------------------------------------------------------------------


def _payments(user: User, payer: int | None = None) -> QuerySet[Payment]:
    allocations = Allocation.objects.select_related("invoice__series").order_by("id")
    return selectors.payment_list(user=user, payer=payer).prefetch_related(
        Prefetch("allocations", queryset=allocations)
    )


@router.get("/payments", response=list[PaymentOut], summary="Money received")
@paginate(CursorPagination, ordering=("-received_on", "-id"))
def payments_list(request: HttpRequest, payer: int | None = None) -> QuerySet[Payment]:
    return _payments(request.auth, payer)


@router.get("/payments/export", summary="Payments as CSV or XLSX", openapi_extra=DOWNLOAD)
def payments_export(
    request: HttpRequest, payer: int | None = None, fmt: ExportFormat = FORMAT
) -> HttpResponse:
    payments = selectors.payment_list(user=request.auth, payer=payer)
    return table_response(reports.payments_table(payments), "payments", fmt)


@router.post("/payments", response={201: PaymentOut}, summary="Record money received")
def payments_create(request: HttpRequest, payload: PaymentIn) -> Status:
    user = request.auth
    payer = _reference(
        "payer", lambda: selectors.get_payer_for_user(user=user, payer_id=payload.payer)
    )
    payment = services.payment_record(
        actor=user, payer=payer, amount=payload.amount, received_on=payload.received_on,
        method=payload.method, reference=payload.reference, note=payload.note,
        allocations=payload.allocations,
    )  # fmt: skip
    return Status(201, _payments(user).get(pk=payment.pk))


@router.get("/payments/{int:payment_id}", response=PaymentOut, summary="One payment")
def payments_detail(request: HttpRequest, payment_id: int) -> Payment:
    user = request.auth
    payment = selectors.get_payment_for_user(user=user, payment_id=payment_id)
    return _payments(user).get(pk=payment.pk)


@router.post(
    "/payments/{int:payment_id}/allocate",
    response=PaymentOut,
    summary="Set part of a payment's credit against an invoice",
)
def payments_allocate(request: HttpRequest, payment_id: int, payload: AllocateIn) -> Payment:
    user = request.auth
    payment = selectors.get_payment_for_user(user=user, payment_id=payment_id)
    services.payment_allocate(
        actor=user, payment=payment, invoice_id=payload.invoice, amount=payload.amount
    )
    return _payments(user).get(pk=payment.pk)


# --- Balances and tutor pay -----------------------------------------------------------------


@router.get("/balances", response=BalancesOut, summary="Each payer's balance, with ageing")
def balances(request: HttpRequest, filters: Query[BalanceFilters]) -> dict[str, Any]:
    as_of = filters.as_of or timezone.localdate()
    rows = selectors.balances(user=request.auth, as_of=as_of, payer=filters.payer)
    return {"as_of": as_of, "currency": settings.CURRENCY, "rows": rows}


@router.get("/balances/export", summary="Balances as CSV or XLSX", openapi_extra=DOWNLOAD)
def balances_export(
    request: HttpRequest, filters: Query[BalanceFilters], fmt: ExportFormat = FORMAT
) -> HttpResponse:
    as_of = filters.as_of or timezone.localdate()
    rows = selectors.balances(user=request.auth, as_of=as_of, payer=filters.payer)
    return table_response(reports.balances_table(rows, as_of), f"balances-{as_of}", fmt)


@router.get("/tutor-pay", response=TutorPayOut, summary="What each tutor is owed for a period")
def tutor_pay(request: HttpRequest, filters: Query[TutorPayFilters]) -> dict[str, Any]:
    rows = selectors.tutor_pay(user=request.auth, **filters.dict())
    return {
        "start": filters.start, "end": filters.end, "currency": settings.CURRENCY,
        "rows": rows, "sessions": sum(row.sessions for row in rows),
        "hours": sum((row.hours for row in rows), Decimal(0)),
        "total": sum((row.amount for row in rows), Decimal(0)),
    }  # fmt: skip


@router.get(
    "/tutor-pay/export",
    summary="Tutor pay as CSV or XLSX; detail=true gives one line per session for payroll",
    openapi_extra=DOWNLOAD,
)
def tutor_pay_export(
    request: HttpRequest,
    filters: Query[TutorPayFilters],
    fmt: ExportFormat = FORMAT,
    detail: bool = False,
) -> HttpResponse:
    period = f"{filters.start}-{filters.end}"
    if detail:
        lines = selectors.tutor_pay_lines(user=request.auth, **filters.dict())
        return table_response(reports.tutor_pay_lines_table(lines), f"tutor-pay-lines-{period}",
                              fmt)  # fmt: skip
    rows = selectors.tutor_pay(user=request.auth, **filters.dict())
    return table_response(reports.tutor_pay_table(rows, settings.CURRENCY),
                          f"tutor-pay-{period}", fmt)  # fmt: skip
