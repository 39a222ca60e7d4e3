"""The invoice as a document: the PDF renders as an A4 page that shows the number, the
payer, every line and the total, and it reaches the payer by e-mail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pypdfium2
import pytest
from pypdf import PdfReader

from tests.students.conftest import StudentFactory
from tracker.finance import services
from tracker.finance.documents import invoice_pdf
from tracker.finance.models import Invoice

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
A4_POINTS = (595.28, 841.89)


def text_of(pdf: bytes) -> str:
    """The PDF's text with line breaks and runs of spaces collapsed: a wrapped line reads
    the same as an unwrapped one."""
    pages = PdfReader(BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def sibling(admin, tutor):
    student = StudentFactory(first_name="Sipho", last_name="Pupil", tutors=[tutor])
    services.rate_set(
        actor=admin, student=student, hourly_rate="275.00", effective_from=date(2020, 1, 1)
    )
    return student


@pytest.fixture
def family(admin, pupil, sibling):
    return services.payer_save(
        actor=admin,
        name="Mrs Nomsa Pupil",
        email="nomsa@example.org",
        address="12 Jacaranda St\nParkview",
        students=[pupil, sibling],
    )


@pytest.fixture
def draft(admin, verified, priced, sibling, family):
    """Two sessions (300.00 for the pupil's hour, 412.50 for the sibling's 90 minutes at
    275.00/h), a 185.00 workbook and 50.00 off: 847.50."""
    verified(DAY, minutes=60, hour=15)
    verified(DAY, minutes=90, hour=17, students=[sibling])
    [invoice] = services.invoices_generate(actor=admin, start=DAY, end=DAY)
    services.line_add(
        actor=admin, invoice=invoice, description="Grade 11 workbook", unit_price="185.00"
    )
    services.discount_add(
        actor=admin, invoice=invoice, amount="50.00", description="Loyalty discount"
    )
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def issued(admin, draft):
    return services.invoice_issue(actor=admin, invoice=draft, send=False)


def test_the_pdf_is_an_a4_page_with_something_drawn_on_it(issued):
    document = pypdfium2.PdfDocument(invoice_pdf(issued))
    assert len(document) == 1
    page = document[0]
    width, height = page.get_size()
    assert abs(width - A4_POINTS[0]) < 1
    assert abs(height - A4_POINTS[1]) < 1
    image = page.render(scale=1).to_pil().convert("L")
    assert abs(image.height / image.width - 2**0.5) < 0.01
    pixels = image.width * image.height
    dark = sum(count for level, count in enumerate(image.histogram()) if level < 128)
    # Text covers a little of the page: not blank, and not a black square either.
    assert 0.002 * pixels < dark < 0.2 * pixels


def test_the_pdf_shows_number_payer_lines_and_total(issued):
    text = text_of(invoice_pdf(issued))
    assert "Invoice INV-000001" in text
    assert "Mrs Nomsa Pupil" in text
    assert "12 Jacaranda St Parkview" in text
    lines = list(issued.lines.order_by("position", "id"))
    assert len(lines) == 4
    for line in lines:
        assert flat(line.description) in text
    assert "Palesa Pupil: Mathematics with" in text
    assert "Sipho Pupil: Mathematics with" in text
    # Each row reads date, description, quantity, unit price, amount.
    assert "90 min 1.50 275.00 412.50" in text
    assert "Grade 11 workbook 1.00 185.00 185.00" in text
    assert "Loyalty discount 1.00 -50.00 -50.00" in text
    assert issued.total == Decimal("847.50")
    assert "Total ZAR 847.50" in text


def test_a_credit_note_pdf_says_what_it_is_and_what_it_credits(admin, issued):
    note = services.credit_note_create(
        actor=admin, invoice=issued, amount="100.00", reason="Goodwill for a late start"
    )
    note = services.invoice_issue(actor=admin, invoice=note, send=False)
    text = text_of(invoice_pdf(note))
    assert "Credit note CN-000001" in text
    assert "Credits invoice INV-000001" in text
    assert "Goodwill for a late start" in text
    assert "ZAR -100.00" in text
    assert "Mrs Nomsa Pupil" in text


def test_a_void_invoice_pdf_says_it_is_void_and_why(admin, issued):
    services.invoice_void(actor=admin, invoice=issued, reason="Sent to the wrong address")
    text = text_of(invoice_pdf(Invoice.objects.get(pk=issued.pk)))
    assert "INV-000001" in text
    assert "(void)" in text
    assert "Void: Sent to the wrong address" in text


def test_a_draft_pdf_has_no_number_yet(draft):
    text = text_of(invoice_pdf(draft))
    assert "INV-" not in text
    assert f"Draft {draft.pk}" in text
    assert "Total ZAR 847.50" in text


def test_issuing_e_mails_the_pdf_to_the_payer_once(
    admin, draft, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_issue(actor=admin, invoice=draft)
    assert len(mailoutbox) == 1
    [mail] = mailoutbox
    assert mail.to == ["nomsa@example.org"]
    assert "INV-000001" in mail.subject
    assert "ZAR 847.50" in mail.body
    [(name, content, kind)] = mail.attachments
    assert (name, kind) == ("INV-000001.pdf", "application/pdf")
    text = text_of(content)
    assert "Invoice INV-000001" in text
    assert "Total ZAR 847.50" in text


def test_nothing_is_sent_until_the_issue_commits(
    admin, draft, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.invoice_issue(actor=admin, invoice=draft)
    assert mailoutbox == []
    assert len(callbacks) == 1


def test_a_payer_without_e_mail_gets_no_message_and_the_invoice_is_still_issued(
    admin, verified, priced, pupil, mailoutbox, django_capture_on_commit_callbacks
):
    services.payer_save(actor=admin, name="Mr No Mail", email="", students=[pupil])
    verified(DAY)
    [draft] = services.invoices_generate(actor=admin, start=DAY, end=DAY)
    with django_capture_on_commit_callbacks(execute=True):
        issued = services.invoice_issue(actor=admin, invoice=draft)
    assert mailoutbox == []
    issued.refresh_from_db()
    assert (issued.status, issued.display_number) == ("issued", "INV-000001")
    assert "Mr No Mail" in text_of(invoice_pdf(issued))
