"""Finance pages. Admins see and change everything (`FINANCE_DETAIL`); moderators see only
revenue totals per month and per branch (`REVENUE_AGGREGATE`); tutors are refused.

Views parse the input, call a selector or a service, and render: the rules, including who
may see what, live in `selectors.py` and `services.py`, which the API calls too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from tracker.accounts.permissions import Cap, can, require
from tracker.core.errors import Conflict
from tracker.core.forms import add_service_errors
from tracker.finance import documents, reports, selectors, services
from tracker.finance.forms import (
    AllocateForm,
    BalancesForm,
    CreditNoteForm,
    DiscountForm,
    GenerateForm,
    InvoiceFilterForm,
    LineForm,
    PayerForm,
    PaymentForm,
    PayPeriodForm,
    PayRateForm,
    PeriodForm,
    RateForm,
    RevenueForm,
    VoidForm,
    last_month,
)
from tracker.finance.models import Invoice, InvoiceKind, InvoiceStatus, Payer
from tracker.lib.tabular import Table, table_response

PER_PAGE = 25
UNPRICED_SHOWN = 100

# The finance pages in the order of their sub-navigation: (url name, label, admin only).
PAGES = [
    ("finance:index", gettext_lazy("Overview"), False),
    ("finance:revenue", gettext_lazy("Revenue"), False),
    ("finance:invoices", gettext_lazy("Invoices"), True),
    ("finance:payments", gettext_lazy("Payments"), True),
    ("finance:payers", gettext_lazy("Payers"), True),
    ("finance:balances", gettext_lazy("Balances"), True),
    ("finance:tutor-pay", gettext_lazy("Tutor pay"), True),
    ("finance:rates", gettext_lazy("Rates"), True),
]


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, section: str
) -> HttpResponse:
    """Render a finance page with the sub-navigation; `section` is the PAGES entry it is
    under (an invoice's page is under Invoices, also when a form on it was posted)."""
    detail = can(request.user, Cap.FINANCE_DETAIL)
    pages = [
        {"url": reverse(name), "label": label, "current": name == section}
        for name, label, admin_only in PAGES
        if detail or not admin_only
    ]
    context = {**context, "detail": detail, "finance_pages": pages, "today": timezone.localdate()}
    return render(request, template, context)


def _grid(
    table: Table, links: Iterable[str | None] | None = None, *, shown: slice = slice(None)
) -> dict[str, Any]:
    """A report table as rows of (value, kind) cells, for the shared table template: the
    `shown` rows (with their `links`), and the totals of them all."""
    columns = list(table.columns)
    listed = table.rows[shown]
    links = list(links) if links is not None else [None] * len(listed)
    rows = [
        {"link": link, "cells": [(row.get(c.key), c.kind) for c in columns]}
        for row, link in zip(listed, links, strict=True)
    ]
    totals = table.totals()
    return {
        "columns": columns,
        "rows": rows,
        "totals": [(totals.get(c.key), c.kind) for c in columns] if totals else None,
    }


def _page(request: HttpRequest, items) -> Any:
    return Paginator(items, PER_PAGE).get_page(request.GET.get("page"))


def _conflict(request: HttpRequest, exc: Conflict, to: str, **kwargs: Any) -> HttpResponse:
    messages.error(request, exc.detail)
    return redirect(to, **kwargs)


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal(0))


# --- Overview and revenue ---------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.REVENUE_AGGREGATE)
    if can(request.user, Cap.FINANCE_DETAIL):
        return _render(
            request, "finance/index.html", _admin_overview(request), section="finance:index"
        )
    form = PeriodForm.from_query(request.GET)
    context: dict[str, Any] = {"form": form, "by_month": None, "by_branch": None}
    if form.is_valid():
        period = form.cleaned_data
        try:
            for by in ("month", "branch"):
                report = selectors.revenue(user=request.user, by=by, **period)
                context[f"by_{by}"] = _grid(reports.revenue_table(report, settings.CURRENCY))
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _render(request, "finance/overview_aggregate.html", context, section="finance:index")


def _admin_overview(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    today = timezone.localdate()
    this_month = today.replace(day=1)
    previous = last_month()
    months = selectors.revenue(user=user, start=previous["start"], end=today, by="month")
    amounts = {row.key: row.amount for row in months.rows}
    outstanding, overdue = selectors.outstanding_totals(user=user, as_of=today)
    return {
        "this_month": amounts.get(this_month, Decimal(0)),
        "last_month": amounts.get(previous["start"], Decimal(0)),
        "month_start": this_month,
        "previous_start": previous["start"],
        "outstanding": outstanding,
        "overdue": overdue,
        "unpriced": selectors.unpriced_charges(user=user).count(),
        "drafts": selectors.invoice_list(user=user, status=InvoiceStatus.DRAFT).count(),
    }


def _revenue_report(request: HttpRequest) -> tuple[RevenueForm, Any]:
    form = RevenueForm.from_query(request.GET, detail=can(request.user, Cap.FINANCE_DETAIL))
    if not form.is_valid():
        return form, None
    try:
        return form, selectors.revenue(user=request.user, **form.filters())
    except ValidationError as exc:
        add_service_errors(form, exc)
        return form, None


@login_required
@require_GET
# The same URL answers a whole page or only the results: caches must keep them apart.
@vary_on_headers("HX-Request")
def revenue(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.REVENUE_AGGREGATE)
    form, report = _revenue_report(request)
    context = {
        "form": form,
        "report": report,
        "grid": _grid(reports.revenue_table(report, settings.CURRENCY)) if report else None,
        "query": form.data.urlencode(),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return _render(request, "finance/revenue.html#results", context, section="finance:revenue")
    return _render(request, "finance/revenue.html", context, section="finance:revenue")


@login_required
@require_GET
def revenue_export(request: HttpRequest, fmt: str) -> HttpResponse:
    require(request.user, Cap.REVENUE_AGGREGATE)
    form, report = _revenue_report(request)
    if report is None:
        return redirect(f"{reverse('finance:revenue')}?{form.data.urlencode()}")
    name = f"revenue-by-{report.by}-{report.start}-{report.end}"
    return table_response(reports.revenue_table(report, settings.CURRENCY), name, fmt)


# --- Invoices ------------------------------------------------------------------------------


def _invoices(request: HttpRequest) -> tuple[InvoiceFilterForm, Any]:
    form = InvoiceFilterForm.from_query(request.GET)
    filters = form.filters() if form.is_valid() else {}
    return form, selectors.invoice_list(user=request.user, **filters)


def _invoice_list_page(request: HttpRequest, generate: GenerateForm) -> HttpResponse:
    form, invoices = _invoices(request)
    context = {
        "filters": form,
        "page": _page(request, invoices),
        "generate": generate,
        "query": form.data.urlencode(),
    }
    if request.htmx and request.method == "GET" and not request.htmx.history_restore_request:
        return _render(
            request, "finance/invoices.html#results", context, section="finance:invoices"
        )
    return _render(request, "finance/invoices.html", context, section="finance:invoices")


@login_required
@require_GET
@vary_on_headers("HX-Request")
def invoice_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    return _invoice_list_page(request, GenerateForm(initial={**last_month(), "per": "payer"}))


@login_required
@require_GET
def invoice_export(request: HttpRequest, fmt: str) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    _form, invoices = _invoices(request)
    return table_response(reports.invoices_table(invoices), "invoices", fmt)


@login_required
@require_POST
def invoices_generate(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    form = GenerateForm(request.POST)
    if form.is_valid():
        try:
            made = services.invoices_generate(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            return _conflict(request, exc, "finance:invoices")
        else:
            if made:
                made_text = ngettext(
                    "%(count)s draft invoice made.", "%(count)s draft invoices made.", len(made)
                )
                messages.success(request, made_text % {"count": len(made)})
            else:
                nothing = _("No verified, priced sessions in that period wait for an invoice.")
                messages.info(request, nothing)
            return redirect(f"{reverse('finance:invoices')}?status={InvoiceStatus.DRAFT}")
    return _invoice_list_page(request, form)


def _invoice_page(request: HttpRequest, invoice_id: int, **bound: Form) -> HttpResponse:
    context = selectors.invoice_detail(user=request.user, invoice_id=invoice_id)
    invoice = context["invoice"]
    forms = {
        "line_form": LineForm(prefix="line"),
        "discount_form": DiscountForm(prefix="discount"),
        "void_form": VoidForm(prefix="void"),
        "credit_form": CreditNoteForm(prefix="credit"),
    }
    forms.update(bound)
    credit_open = invoice.kind == InvoiceKind.INVOICE and invoice.status in (
        InvoiceStatus.ISSUED,
        InvoiceStatus.PAID,
    )
    context.update(
        forms,
        payer=invoice.payer,
        payer_name=invoice.payer_name or invoice.payer.name,
        can_credit=credit_open,
        can_void=invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PAID),
    )
    return _render(request, "finance/invoice_detail.html", context, section="finance:invoices")


@login_required
@require_GET
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    return _invoice_page(request, invoice_id)


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.get_invoice_for_user(user=request.user, invoice_id=invoice_id)
    response = HttpResponse(documents.invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.invoice_filename(invoice)}"'
    return response


def _invoice_form_action(
    request: HttpRequest,
    invoice_id: int,
    form_class: type[Form],
    name: str,
    action: Callable[[Invoice, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """Run a draft or issued invoice's form through its service: field errors come back on
    the page, a clash with the invoice's state comes back as a message."""
    invoice = selectors.get_invoice_for_user(user=request.user, invoice_id=invoice_id)
    form = form_class(request.POST, prefix=name.removesuffix("_form"))
    if form.is_valid():
        try:
            result = action(invoice, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            return _conflict(request, exc, "finance:invoice", invoice_id=invoice.pk)
        else:
            messages.success(request, done)
            target = result if isinstance(result, Invoice) else invoice
            return redirect("finance:invoice", invoice_id=target.pk)
    return _invoice_page(request, invoice.pk, **{name: form})


@login_required
@require_POST
def line_add(request: HttpRequest, invoice_id: int) -> HttpResponse:
    def add(invoice: Invoice, data: dict[str, Any]) -> Any:
        return services.line_add(actor=request.user, invoice=invoice, **data)

    return _invoice_form_action(request, invoice_id, LineForm, "line_form", add, _("Line added."))


@login_required
@require_POST
def discount_add(request: HttpRequest, invoice_id: int) -> HttpResponse:
    def add(invoice: Invoice, data: dict[str, Any]) -> Any:
        return services.discount_add(
            actor=request.user,
            invoice=invoice,
            description=data["description"],
            amount=data["amount"],
            percent=data["percent"],
        )

    return _invoice_form_action(
        request, invoice_id, DiscountForm, "discount_form", add, _("Discount added.")
    )


@login_required
@require_POST
def invoice_void(request: HttpRequest, invoice_id: int) -> HttpResponse:
    def void(invoice: Invoice, data: dict[str, Any]) -> Any:
        return services.invoice_void(actor=request.user, invoice=invoice, reason=data["reason"])

    done = _("The invoice is void; it keeps its number.")
    return _invoice_form_action(request, invoice_id, VoidForm, "void_form", void, done)


@login_required
@require_POST
def credit_note_create(request: HttpRequest, invoice_id: int) -> HttpResponse:
    def credit(invoice: Invoice, data: dict[str, Any]) -> Any:
        return services.credit_note_create(actor=request.user, invoice=invoice, **data)

    done = _("Draft credit note made. Check it, then issue it.")
    return _invoice_form_action(request, invoice_id, CreditNoteForm, "credit_form", credit, done)


def _invoice_button(
    request: HttpRequest, invoice_id: int, action: Callable[[Invoice], Any], done: str
) -> HttpResponse:
    """A button without a form: any refusal is a message on the invoice's page."""
    invoice = selectors.get_invoice_for_user(user=request.user, invoice_id=invoice_id)
    try:
        action(invoice)
    except Conflict as exc:
        return _conflict(request, exc, "finance:invoice", invoice_id=invoice.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("finance:invoice", invoice_id=invoice.pk)


@login_required
@require_POST
def line_remove(request: HttpRequest, invoice_id: int, line_id: int) -> HttpResponse:
    def remove(invoice: Invoice) -> None:
        services.line_remove(actor=request.user, invoice=invoice, line_id=line_id)

    return _invoice_button(request, invoice_id, remove, _("Line removed."))


@login_required
@require_POST
def invoice_issue(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.get_invoice_for_user(user=request.user, invoice_id=invoice_id)
    try:
        issued = services.invoice_issue(actor=request.user, invoice=invoice)
    except Conflict as exc:
        return _conflict(request, exc, "finance:invoice", invoice_id=invoice.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("finance:invoice", invoice_id=invoice.pk)
    if issued.payer_email:
        done = _("%(number)s is issued and e-mailed to the payer.")
    else:
        done = _("%(number)s is issued. The payer has no e-mail address: send them the PDF.")
    messages.success(request, done % {"number": issued.display_number})
    return redirect("finance:invoice", invoice_id=invoice.pk)


@login_required
@require_POST
def invoice_delete(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.get_invoice_for_user(user=request.user, invoice_id=invoice_id)
    try:
        services.invoice_delete(actor=request.user, invoice=invoice)
    except Conflict as exc:
        return _conflict(request, exc, "finance:invoice", invoice_id=invoice.pk)
    messages.success(request, _("Draft deleted; its sessions can be invoiced again."))
    return redirect("finance:invoices")


# --- Payments and payers ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def payment_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    initial = {"received_on": timezone.localdate(), "payer": request.GET.get("payer")}
    form = PaymentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.payment_record(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            done = _(
                "Payment of %(currency)s %(amount)s recorded; "
                "%(currency)s %(left)s is left as credit."
            )
            figures = {"amount": payment.amount, "left": services.unallocated(payment)}
            messages.success(request, done % {"currency": payment.currency, **figures})
            return redirect("finance:payer", payer_id=payment.payer_id)
    payments = selectors.payment_list(user=request.user)
    context = {"form": form, "page": _page(request, payments)}
    return _render(request, "finance/payments.html", context, section="finance:payments")


@login_required
@require_GET
def payment_export(request: HttpRequest, fmt: str) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    payments = selectors.payment_list(user=request.user)
    return table_response(reports.payments_table(payments), "payments", fmt)


def _open_invoices(user, payer: Payer) -> list[Invoice]:
    return list(
        selectors.invoice_list(
            user=user, payer=payer.pk, status=InvoiceStatus.ISSUED, kind=InvoiceKind.INVOICE
        ).order_by("due_date", "number", "id")
    )


@login_required
@require_POST
def payment_allocate(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = selectors.get_payment_for_user(user=request.user, payment_id=payment_id)
    invoices = _open_invoices(request.user, payment.payer)
    form = AllocateForm(request.POST, invoices=invoices, prefix=f"allocate-{payment.pk}")
    if form.is_valid():
        try:
            services.payment_allocate(
                actor=request.user,
                payment=payment,
                invoice_id=form.cleaned_data["invoice"],
                amount=form.cleaned_data["amount"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Credit allocated."))
            return redirect("finance:payer", payer_id=payment.payer_id)
    return _payer_page(request, payment.payer, allocate={payment.pk: form})


@login_required
@require_http_methods(["GET", "POST"])
def payer_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    form = PayerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payer = services.payer_save(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Payer %(name)s added.") % {"name": payer.name})
            return redirect("finance:payer", payer_id=payer.pk)
    page = _page(request, selectors.payer_list(user=request.user))
    shown = selectors.balances(user=request.user, payers=[p.pk for p in page])
    owed = {b.payer.pk: b.balance for b in shown}
    rows = [{"payer": p, "balance": owed.get(p.pk, Decimal(0))} for p in page]
    context = {"form": form, "page": page, "rows": rows}
    return _render(request, "finance/payers.html", context, section="finance:payers")


def _payer_page(
    request: HttpRequest,
    payer: Payer,
    *,
    form: PayerForm | None = None,
    allocate: dict[int, AllocateForm] | None = None,
) -> HttpResponse:
    user = request.user
    students = selectors.payer_students(payer)
    if form is None:
        initial = {
            "name": payer.name,
            "email": payer.email,
            "address": payer.address,
            "students": students,
        }
        form = PayerForm(initial=initial)
    balance = next(iter(selectors.balances(user=user, payer=payer.pk)), None)
    open_invoices = _open_invoices(user, payer)
    payments = list(selectors.payment_list(user=user, payer=payer.pk))
    allocate = allocate or {}
    credit_rows = [
        {
            "payment": p,
            "left": p.amount - p.allocated,
            "form": allocate.get(p.pk)
            or AllocateForm(invoices=open_invoices, prefix=f"allocate-{p.pk}"),
        }
        for p in payments
        if p.amount > p.allocated
    ]
    context = {
        "payer": payer,
        "form": form,
        "students": students,
        "balance": balance.balance if balance else Decimal(0),
        "ageing": balance,
        "invoices": selectors.invoice_list(user=user, payer=payer.pk),
        "payments": payments,
        "credit_rows": credit_rows if open_invoices else [],
        "unused_credit": _sum(row["left"] for row in credit_rows),
    }
    return _render(request, "finance/payer_detail.html", context, section="finance:payers")


@login_required
@require_http_methods(["GET", "POST"])
def payer_detail(request: HttpRequest, payer_id: int) -> HttpResponse:
    payer = selectors.get_payer_for_user(user=request.user, payer_id=payer_id)
    if request.method != "POST":
        return _payer_page(request, payer)
    form = PayerForm(request.POST)
    if form.is_valid():
        try:
            services.payer_save(actor=request.user, payer=payer, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Payer saved."))
            return redirect("finance:payer", payer_id=payer.pk)
    return _payer_page(request, payer, form=form)


# --- Balances and tutor pay ---------------------------------------------------------------


def _balances(request: HttpRequest) -> tuple[BalancesForm, list[selectors.Balance] | None]:
    form = BalancesForm.from_query(request.GET)
    if not form.is_valid():
        return form, None
    return form, selectors.balances(user=request.user, as_of=form.cleaned_data["as_of"])


@login_required
@require_GET
def balances(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    form, rows = _balances(request)
    grid = page = None
    if rows is not None:
        table = reports.balances_table(rows, form.cleaned_data["as_of"])
        # A page of payers at a time (a business has thousands), under the totals of all.
        page = _page(request, rows)
        first = page.start_index() - 1 if rows else 0
        links = [reverse("finance:payer", args=[b.payer.pk]) for b in page.object_list]
        grid = _grid(table, links, shown=slice(first, first + len(links)))
    context = {"form": form, "grid": grid, "page": page, "query": form.data.urlencode()}
    return _render(request, "finance/balances.html", context, section="finance:balances")


@login_required
@require_GET
def balances_export(request: HttpRequest, fmt: str) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    form, rows = _balances(request)
    if rows is None:
        return redirect(f"{reverse('finance:balances')}?{form.data.urlencode()}")
    as_of: date = form.cleaned_data["as_of"]
    return table_response(reports.balances_table(rows, as_of), f"balances-{as_of}", fmt)


def _pay_period(request: HttpRequest) -> PayPeriodForm:
    form = PayPeriodForm.from_query(request.GET)
    form.is_valid()
    return form


@login_required
@require_GET
def tutor_pay(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    form = _pay_period(request)
    grid, without_rate = None, 0
    if form.is_valid():
        try:
            rows = selectors.tutor_pay(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            grid = _grid(reports.tutor_pay_table(rows, settings.CURRENCY))
            without_rate = sum(row.without_rate for row in rows)
    context = {
        "form": form,
        "grid": grid,
        "without_rate": without_rate,
        "query": form.data.urlencode(),
    }
    return _render(request, "finance/tutor_pay.html", context, section="finance:tutor-pay")


@login_required
@require_GET
def tutor_pay_export(request: HttpRequest, fmt: str, lines: bool = False) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    form = _pay_period(request)
    if not form.is_valid():
        return redirect(f"{reverse('finance:tutor-pay')}?{form.data.urlencode()}")
    period = form.cleaned_data
    name = f"{period['start']}-{period['end']}"
    try:
        if lines:
            found = selectors.tutor_pay_lines(user=request.user, **period)
            table = reports.tutor_pay_lines_table(found)
            return table_response(table, f"tutor-pay-lines-{name}", fmt)
        rows = selectors.tutor_pay(user=request.user, **period)
    except ValidationError:
        return redirect(f"{reverse('finance:tutor-pay')}?{form.data.urlencode()}")
    table = reports.tutor_pay_table(rows, settings.CURRENCY)
    return table_response(table, f"tutor-pay-{name}", fmt)


# --- Rates ----------------------------------------------------------------------------------


def _rates_page(
    request: HttpRequest,
    *,
    rate_form: RateForm | None = None,
    pay_form: PayRateForm | None = None,
) -> HttpResponse:
    user = request.user
    unpriced = selectors.unpriced_charges(user=user)
    initial = {
        "effective_from": timezone.localdate().replace(day=1),
        "student": request.GET.get("student"),
    }
    context = {
        "rate_form": rate_form or RateForm(prefix="rate", initial=initial),
        "pay_form": pay_form or PayRateForm(prefix="pay", initial={"basis": "hour", **initial}),
        "page": _page(request, selectors.rate_list(user=user)),
        "pay_rates": selectors.pay_rate_list(user=user),
        "unpriced": unpriced[:UNPRICED_SHOWN],
        "unpriced_count": unpriced.count(),
    }
    return _render(request, "finance/rates.html", context, section="finance:rates")


@login_required
@require_GET
def rates(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    return _rates_page(request)


@login_required
@require_POST
def rate_add(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    form = RateForm(request.POST, prefix="rate")
    if form.is_valid():
        try:
            services.rate_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            student = form.cleaned_data["student"]
            messages.success(request, _("Rate saved for %(name)s.") % {"name": student.full_name})
            return redirect("finance:rates")
    return _rates_page(request, rate_form=form)


@login_required
@require_POST
def rate_remove(request: HttpRequest, rate_id: int) -> HttpResponse:
    services.rate_remove(actor=request.user, rate_id=rate_id)
    messages.success(request, _("Rate removed. Sessions already priced keep their price."))
    return redirect("finance:rates")


@login_required
@require_POST
def pay_rate_add(request: HttpRequest) -> HttpResponse:
    require(request.user, Cap.FINANCE_DETAIL)
    form = PayRateForm(request.POST, prefix="pay")
    if form.is_valid():
        try:
            services.pay_rate_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Pay rate saved."))
            return redirect("finance:rates")
    return _rates_page(request, pay_form=form)
