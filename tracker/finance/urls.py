from __future__ import annotations

from django.urls import path, re_path

from tracker.finance import views

app_name = "finance"

# Exports end in their format: /finance/revenue/export.csv?… and …/export.xlsx.
FORMAT = r"(?P<fmt>csv|xlsx)"

urlpatterns = [
    path("", views.index, name="index"),
    path("revenue/", views.revenue, name="revenue"),
    re_path(rf"^revenue/export\.{FORMAT}$", views.revenue_export, name="revenue-export"),
    path("invoices/", views.invoice_list, name="invoices"),
    re_path(rf"^invoices/export\.{FORMAT}$", views.invoice_export, name="invoices-export"),
    path("invoices/generate/", views.invoices_generate, name="invoices-generate"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:invoice_id>/pdf", views.invoice_pdf, name="invoice-pdf"),
    path("invoices/<int:invoice_id>/lines/", views.line_add, name="invoice-line-add"),
    path(
        "invoices/<int:invoice_id>/lines/<int:line_id>/remove/",
        views.line_remove,
        name="invoice-line-remove",
    ),
    path("invoices/<int:invoice_id>/discounts/", views.discount_add, name="invoice-discount"),
    path("invoices/<int:invoice_id>/issue/", views.invoice_issue, name="invoice-issue"),
    path("invoices/<int:invoice_id>/delete/", views.invoice_delete, name="invoice-delete"),
    path("invoices/<int:invoice_id>/void/", views.invoice_void, name="invoice-void"),
    path("invoices/<int:invoice_id>/credit-note/", views.credit_note_create, name="invoice-credit"),
    path("payments/", views.payment_list, name="payments"),
    re_path(rf"^payments/export\.{FORMAT}$", views.payment_export, name="payments-export"),
    path("payments/<int:payment_id>/allocate/", views.payment_allocate, name="payment-allocate"),
    path("payers/", views.payer_list, name="payers"),
    path("payers/<int:payer_id>/", views.payer_detail, name="payer"),
    path("balances/", views.balances, name="balances"),
    re_path(rf"^balances/export\.{FORMAT}$", views.balances_export, name="balances-export"),
    path("tutor-pay/", views.tutor_pay, name="tutor-pay"),
    re_path(rf"^tutor-pay/export\.{FORMAT}$", views.tutor_pay_export, name="tutor-pay-export"),
    re_path(
        rf"^tutor-pay/lines\.{FORMAT}$",
        views.tutor_pay_export,
        {"lines": True},
        name="tutor-pay-lines",
    ),
    path("rates/", views.rates, name="rates"),
    path("rates/student/", views.rate_add, name="rate-add"),
    path("rates/<int:rate_id>/remove/", views.rate_remove, name="rate-remove"),
    path("rates/tutor/", views.pay_rate_add, name="pay-rate-add"),
]
