"""The invoice as a PDF (ReportLab) and as the e-mail that carries it to the payer.

The PDF is drawn from the issued invoice's frozen fields each time it is asked for, rather
than stored: the payer's details stay encrypted in the database, and an erased payer's
document shows the anonymised name.
"""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from tracker.finance.models import Invoice, InvoiceKind, InvoiceStatus


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _money(amount, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def invoice_pdf(invoice: Invoice) -> bytes:
    styles = getSampleStyleSheet()
    body, heading = styles["BodyText"], styles["Heading1"]
    title = _("Credit note") if invoice.kind == InvoiceKind.CREDIT_NOTE else _("Invoice")
    if invoice.status == InvoiceStatus.VOID:
        title = _("%(title)s (void)") % {"title": title}
    story = [
        _p(f"{title} {invoice.display_number}", heading),
        _p(settings.INVOICE_ISSUER, styles["Heading3"]),
    ]
    if settings.INVOICE_ISSUER_DETAILS:
        story.append(_p(settings.INVOICE_ISSUER_DETAILS, body))
    dates = []
    if invoice.issue_date:
        dates.append(_("Issued: %(date)s") % {"date": date_format(invoice.issue_date)})
    if invoice.due_date:
        dates.append(_("Due: %(date)s") % {"date": date_format(invoice.due_date)})
    if invoice.period_start and invoice.period_end:
        dates.append(
            _("Period: %(start)s – %(end)s")
            % {"start": date_format(invoice.period_start), "end": date_format(invoice.period_end)}
        )
    if invoice.credited_invoice_id:
        dates.append(_("Credits invoice %(number)s") % {"number": invoice.credited_invoice})
    payer = "\n".join(
        part for part in (invoice.payer_name or invoice.payer.name, invoice.payer_address) if part
    )
    story += [
        Spacer(1, 4 * mm),
        _p(_("Bill to"), styles["Heading4"]),
        _p(payer, body),
        Spacer(1, 2 * mm),
        _p("\n".join(dates), body),
        Spacer(1, 6 * mm),
    ]
    rows = [[_("Date"), _("Description"), _("Qty"), _("Unit price"), _("Amount")]]
    for line in invoice.lines.order_by("position", "id"):
        rows.append(
            [
                line.date.isoformat() if line.date else "",
                _p(line.description, body),
                f"{line.quantity:,.2f}",
                f"{line.unit_price:,.2f}",
                f"{line.amount:,.2f}",
            ]
        )
    rows.append(["", _p(_("Total"), styles["Heading4"]), "", "",
                 _money(invoice.total, invoice.currency)])  # fmt: skip
    table = Table(rows, colWidths=[24 * mm, 86 * mm, 14 * mm, 24 * mm, 28 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    if invoice.status == InvoiceStatus.VOID:
        story += [Spacer(1, 6 * mm), _p(_("Void: %(reason)s") % {"reason": invoice.void_reason},
                                        body)]  # fmt: skip
    buffer = BytesIO()
    # invariant=True: the same invoice gives the same bytes (no creation timestamp).
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=f"{title} {invoice.display_number}",
        author=settings.INVOICE_ISSUER, invariant=True,
    )  # fmt: skip
    document.build(story)
    return buffer.getvalue()


def invoice_filename(invoice: Invoice) -> str:
    return f"{invoice.display_number.replace(' ', '-')}.pdf"


def invoice_email(invoice: Invoice) -> EmailMessage:
    subject = _("%(issuer)s: %(kind)s %(number)s") % {
        "issuer": settings.INVOICE_ISSUER,
        "kind": invoice.get_kind_display().lower(),
        "number": invoice.display_number,
    }
    lines = [
        _("Dear %(name)s,") % {"name": invoice.payer_name},
        "",
        _("Please find attached %(kind)s %(number)s for %(total)s.")
        % {
            "kind": invoice.get_kind_display().lower(),
            "number": invoice.display_number,
            "total": _money(invoice.total, invoice.currency),
        },
    ]
    if invoice.due_date:
        lines.append(_("It is due on %(date)s.") % {"date": date_format(invoice.due_date)})
    lines += ["", settings.INVOICE_ISSUER]
    message = EmailMessage(subject=subject, body="\n".join(lines), to=[invoice.payer_email])
    message.attach(invoice_filename(invoice), invoice_pdf(invoice), "application/pdf")
    return message
