"""Things that happen elsewhere tell the people they concern."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import UserFactory
from tests.scheduling.conftest import at
from tracker.accounts.models import Role
from tracker.attendance.services import log_send_back, session_log
from tracker.finance import services as finance
from tracker.messaging.models import Notification, ReminderSent
from tracker.messaging.reminders import reminders_send
from tracker.scheduling.services import session_cancel, session_update

pytestmark = pytest.mark.django_db


def kinds(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user).order_by("id").values_list("kind", flat=True)
    )


def test_a_tutor_hears_of_a_booking_a_move_and_a_cancellation(book, moderator, tutor):
    session = book(at(3, 16))
    session_update(actor=moderator, session=session, start=at(3, 17), end=at(3, 18))
    session_cancel(actor=moderator, session=session, reason="Exams")
    assert kinds(tutor) == ["session_created", "session_moved", "session_cancelled"]
    assert "17:00" in Notification.objects.get(user=tutor, kind="session_moved").title
    assert kinds(moderator) == []  # who made the change is not told about it


def test_a_log_sent_back_tells_its_tutor(book, moderator, tutor):
    session = book(timezone.now() - timedelta(hours=2))
    session_log(actor=tutor, session=session, outcome="completed")
    log_send_back(actor=moderator, session=session, comment="Who came?")
    assert kinds(tutor)[-1] == "log_sent_back"


def test_reminders_go_once_per_tutor_per_day(book, tutor, other_tutor, pupil, mailoutbox):
    tomorrow = timezone.localdate() + timedelta(days=1)
    book(at(tomorrow.day, 15, month=tomorrow.month, year=tomorrow.year))
    book(at(tomorrow.day, 17, month=tomorrow.month, year=tomorrow.year))
    call_command("send_reminders")
    call_command("send_reminders")
    [mail] = mailoutbox
    assert mail.to == [tutor.email]
    assert "(2)" in mail.subject
    assert "Palesa Pupil" in mail.body
    assert ReminderSent.objects.get().day == tomorrow
    assert reminders_send(day=tomorrow) == 0


def test_an_issued_invoice_tells_the_other_admins(admin, verified, priced):
    colleague = UserFactory(username="admin2", role=Role.ADMIN)
    session = verified(timezone.localdate() - timedelta(days=3))
    day = timezone.localdate(session.start)
    [draft] = finance.invoices_generate(actor=admin, start=day, end=day)
    finance.invoice_issue(actor=admin, invoice=draft, send=False)
    [note] = Notification.objects.filter(user=colleague)
    assert (note.kind, note.url) == ("invoice_issued", f"/finance/invoices/{draft.pk}/")
    assert "INV-000001" in note.title
    assert kinds(admin) == []
