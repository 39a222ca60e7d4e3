"""Finance reports as tables: what the pages show, and what CSV and XLSX downloads contain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.utils.translation import gettext as _

from tracker.finance.models import Invoice, Payment, TutorEarning
from tracker.finance.selectors import Balance, PayRow, Revenue
from tracker.lib.tabular import Column, Table

GROUP_LABELS = {
    "month": "Month",
    "branch": "Branch",
    "student": "Student",
    "tutor": "Tutor",
    "subject": "Subject",
}


def revenue_table(report: Revenue, currency: str) -> Table:
    return Table(
        title=_("Revenue"),
        columns=[
            Column("label", _(GROUP_LABELS[report.by])),
            Column("sessions", _("Sessions"), "int", total=True),
            Column("hours", _("Hours"), "decimal", total=True),
            Column("amount", _("Income (%(currency)s)") % {"currency": currency}, "money", True),
        ],
        rows=[
            {"label": r.label, "sessions": r.sessions, "hours": r.hours, "amount": r.amount}
            for r in report.rows
        ],
    )


def tutor_pay_table(rows: Iterable[PayRow], currency: str) -> Table:
    return Table(
        title=_("Tutor pay"),
        columns=[
            Column("tutor", _("Tutor")),
            Column("email", _("E-mail")),
            Column("sessions", _("Sessions"), "int", total=True),
            Column("hours", _("Hours"), "decimal", total=True),
            Column("amount", _("Owed (%(currency)s)") % {"currency": currency}, "money", True),
            Column("without_rate", _("Sessions without a pay rate"), "int", total=True),
        ],
        rows=[
            {
                "tutor": r.tutor.get_full_name() or r.tutor.username,
                "email": r.tutor.email,
                "sessions": r.sessions,
                "hours": r.hours,
                "amount": r.amount,
                "without_rate": r.without_rate,
            }
            for r in rows
        ],
    )


def tutor_pay_lines_table(lines: Iterable[TutorEarning]) -> Table:
    return Table(
        title=_("Tutor pay lines"),
        columns=[
            Column("tutor", _("Tutor")),
            Column("date", _("Date"), "date"),
            Column("session", _("Session"), "int"),
            Column("subject", _("Subject")),
            Column("minutes", _("Minutes"), "int", total=True),
            Column("basis", _("Paid")),
            Column("rate", _("Rate"), "money"),
            Column("share", _("Share %"), "decimal"),
            Column("amount", _("Amount"), "money", total=True),
        ],
        rows=[
            {
                "tutor": e.tutor.get_full_name() or e.tutor.username,
                "date": e.date,
                "session": e.session_id,
                "subject": e.session.subject.name if e.session.subject else "",
                "minutes": e.minutes,
                "basis": e.get_basis_display() if e.basis else _("no pay rate"),
                "rate": e.rate,
                "share": e.share_percent,
                "amount": e.amount,
            }
            for e in lines
        ],
    )


def balances_table(rows: Iterable[Balance], as_of: date) -> Table:
    return Table(
        title=_("Balances %(date)s") % {"date": as_of.isoformat()},
        columns=[
            Column("payer", _("Payer")),
            Column("invoiced", _("Invoiced"), "money", total=True),
            Column("paid", _("Paid"), "money", total=True),
            Column("balance", _("Balance"), "money", total=True),
            Column("current", _("Not yet due"), "money", total=True),
            Column("days_30", _("1–30 days"), "money", total=True),
            Column("days_60", _("31–60 days"), "money", total=True),
            Column("days_90", _("61–90 days"), "money", total=True),
            Column("days_over_90", _("Over 90 days"), "money", total=True),
            Column("credit", _("Credit"), "money", total=True),
        ],
        rows=[
            {
                "payer": b.payer.name,
                "invoiced": b.invoiced,
                "paid": b.paid,
                "balance": b.balance,
                "current": b.current,
                "days_30": b.days_30,
                "days_60": b.days_60,
                "days_90": b.days_90,
                "days_over_90": b.days_over_90,
                "credit": b.credit,
            }
            for b in rows
        ],
    )


def invoices_table(invoices: Iterable[Invoice]) -> Table:
    return Table(
        title=_("Invoices"),
        columns=[
            Column("number", _("Number")),
            Column("kind", _("Kind")),
            Column("status", _("Status")),
            Column("payer", _("Payer")),
            Column("issue_date", _("Issued"), "date"),
            Column("due_date", _("Due"), "date"),
            Column("total", _("Total"), "money", total=True),
        ],
        rows=[
            {
                "number": i.display_number,
                "kind": i.get_kind_display(),
                "status": i.get_status_display(),
                "payer": i.payer_name or i.payer.name,
                "issue_date": i.issue_date,
                "due_date": i.due_date,
                "total": i.total,
            }
            for i in invoices
        ],
    )


def payments_table(payments: Iterable[Payment]) -> Table:
    return Table(
        title=_("Payments"),
        columns=[
            Column("received_on", _("Received"), "date"),
            Column("payer", _("Payer")),
            Column("method", _("Method")),
            Column("reference", _("Reference")),
            Column("amount", _("Amount"), "money", total=True),
            Column("allocated", _("Allocated"), "money", total=True),
        ],
        rows=[
            {
                "received_on": p.received_on,
                "payer": p.payer.name,
                "method": p.get_method_display(),
                "reference": p.reference,
                "amount": p.amount,
                "allocated": getattr(p, "allocated", None),
            }
            for p in payments
        ],
    )
