"""A session's price is fixed when it is verified, from the rate in force on its day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import SubjectFactory, UserFactory
from tests.finance.conftest import past
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.attendance.services import logs_verify, session_log
from tracker.audit.models import AuditLog
from tracker.core.errors import Conflict
from tracker.finance import services
from tracker.finance.models import Charge, ChargeKind, InvoiceLine, TutorEarning
from tracker.finance.pricing import price, rate_for

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)


def test_a_verified_session_stores_each_students_price(verified, priced):
    session = verified(DAY, minutes=90)
    charge = Charge.objects.get(session=session)
    assert (charge.kind, charge.hourly_rate, charge.amount) == (
        ChargeKind.SESSION, Decimal("300.00"), Decimal("450.00"),
    )  # fmt: skip
    assert session.price == Decimal("450.00")
    assert charge.date == DAY
    assert charge.branch_id == session.seats.get().student.branch_id


def test_an_unverified_session_has_no_price(book, moderator, priced):
    session = book(past(DAY))
    session_log(actor=moderator, session=session, outcome="completed", force=True)
    assert not Charge.objects.filter(session=session).exists()
    session.refresh_from_db()
    assert session.price is None


def test_changing_a_rate_never_changes_a_verified_sessions_price(admin, verified, priced, pupil):
    session = verified(DAY)
    services.rate_set(actor=admin, student=pupil, hourly_rate="500", effective_from=DAY)
    assert Charge.objects.get(session=session).amount == Decimal("300.00")
    later = verified(DAY + timedelta(days=1))
    assert Charge.objects.get(session=later).amount == Decimal("500.00")


def test_the_most_specific_rate_in_force_wins(admin, tutor, maths, pupil):
    physics, other = SubjectFactory(name="Physics"), UserFactory(role=Role.TUTOR)

    def rate(amount, when, **scope):
        services.rate_set(actor=admin, student=pupil, hourly_rate=amount, effective_from=when,
                          **scope)  # fmt: skip

    rate("100", date(2026, 1, 1))
    rate("200", date(2026, 1, 1), subject=maths)
    rate("300", date(2026, 1, 1), tutor=tutor)
    rate("400", date(2026, 1, 1), subject=maths, tutor=tutor)
    rate("110", date(2026, 2, 1))  # a newer default does not beat an older override

    def on(day, subject, who):
        return rate_for(student=pupil, day=day, subject_id=subject.pk, tutor_id=who.pk)

    assert on(DAY, maths, tutor) == Decimal("400.00")
    assert on(DAY, physics, tutor) == Decimal("300.00")
    assert on(DAY, maths, other) == Decimal("200.00")
    assert on(DAY, physics, other) == Decimal("110.00")
    assert on(date(2026, 1, 15), physics, other) == Decimal("100.00")
    # Before any dated rate, the student's default rate field applies.
    assert on(date(2025, 12, 31), physics, other) == pupil.default_rate


def test_a_session_without_any_rate_waits_and_is_priced_when_one_is_set(admin, verified, pupil):
    pupil.default_rate = None
    pupil.save()
    session = verified(DAY)
    charge = Charge.objects.get(session=session)
    assert (charge.hourly_rate, charge.amount) == (None, 0)
    services.rate_set(actor=admin, student=pupil, hourly_rate="240", effective_from=DAY)
    charge.refresh_from_db()
    session.refresh_from_db()
    assert (charge.amount, session.price) == (Decimal("240.00"), Decimal("240.00"))
    assert (
        AuditLog.objects.filter(action="finance.rate.set").get().changes["repriced_sessions"] == 1
    )


def test_each_student_in_a_group_pays_their_own_rate(verified, tutor, pupil, priced):
    sibling = StudentFactory(default_rate=Decimal("180.00"), tutors=[tutor])
    session = verified(DAY, students=[pupil, sibling])
    amounts = dict(Charge.objects.filter(session=session).values_list("student_id", "amount"))
    assert amounts == {pupil.pk: Decimal("300.00"), sibling.pk: Decimal("180.00")}
    assert session.price == Decimal("480.00")


def test_a_student_absent_without_notice_pays_the_no_show_share(
    settings, verified, tutor, pupil, priced
):
    settings.NO_SHOW_SHARE = 50
    sibling = StudentFactory(default_rate=Decimal("200.00"), tutors=[tutor])
    session = verified(DAY, students=[pupil, sibling], attendance={sibling.pk: "absent"})
    charge = Charge.objects.get(session=session, student=sibling)
    assert (charge.kind, charge.amount) == (ChargeKind.NO_SHOW, Decimal("100.00"))


def test_a_late_cancellation_by_the_student_bills_the_configured_share(
    settings, book, moderator, priced
):
    settings.LATE_CANCELLATION_SHARE = 40
    from django.utils import timezone

    session = book(timezone.now() + timedelta(hours=2))
    session_log(actor=moderator, session=session, outcome="cancelled", cancelled_by="student")
    logs_verify(actor=moderator, session_ids=[session.pk])
    charge = Charge.objects.get(session=session)
    assert (charge.kind, charge.amount) == (ChargeKind.LATE_CANCELLATION, Decimal("120.00"))


def test_a_cancellation_by_the_tutor_costs_nothing(verified, priced):
    session = verified(DAY, outcome="cancelled", cancelled_by="tutor")
    assert not Charge.objects.filter(session=session).exists()
    assert not TutorEarning.objects.filter(session=session).exists()


def test_a_session_marked_not_billable_is_free_but_the_tutor_is_paid(
    admin, verified, tutor, priced
):
    services.pay_rate_set(actor=admin, tutor=tutor, basis="hour", amount="150", effective_from=DAY)
    session = verified(DAY, minutes=45, billable=False)
    assert not Charge.objects.filter(session=session).exists()
    assert TutorEarning.objects.get(session=session).amount == Decimal("112.50")


@pytest.mark.parametrize(
    ("basis", "amount", "minutes", "owed"),
    [("hour", "150", 90, "225.00"), ("session", "180", 90, "180.00"), ("hour", "100", 50, "83.33")],
)
def test_tutor_pay_per_hour_or_per_session(admin, verified, tutor, basis, amount, minutes, owed):
    services.pay_rate_set(actor=admin, tutor=tutor, basis=basis, amount=amount, effective_from=DAY)
    session = verified(DAY, minutes=minutes)
    assert TutorEarning.objects.get(session=session).amount == Decimal(owed)


def test_a_tutor_without_a_pay_rate_is_listed_not_guessed(verified):
    earning = TutorEarning.objects.get(session=verified(DAY))
    assert (earning.rate, earning.amount, earning.basis) == (None, 0, "")


def test_correcting_a_verified_session_takes_back_its_price(moderator, verified, priced):
    session = verified(DAY)
    session_log(actor=moderator, session=session, outcome="completed", note="fixed", force=True)
    session.refresh_from_db()
    assert not Charge.objects.filter(session=session).exists()
    assert not TutorEarning.objects.filter(session=session).exists()
    assert session.price is None
    logs_verify(actor=moderator, session_ids=[session.pk])
    assert Charge.objects.filter(session=session).count() == 1


def test_correcting_a_session_on_a_draft_invoice_takes_it_off_the_draft(
    admin, moderator, verified, priced
):
    first, second = verified(DAY), verified(DAY + timedelta(days=1))
    [draft] = services.invoices_generate(actor=admin, start=DAY, end=DAY + timedelta(days=1))
    assert draft.total == Decimal("600.00")
    session_log(actor=moderator, session=first, outcome="completed", force=True)
    draft.refresh_from_db()
    assert draft.total == Decimal("300.00")
    assert list(draft.lines.values_list("charge__session", flat=True)) == [second.pk]


def test_a_session_on_an_issued_invoice_cannot_be_reopened(admin, moderator, verified, priced):
    session = verified(DAY)
    [draft] = services.invoices_generate(actor=admin, start=DAY, end=DAY)
    services.invoice_issue(actor=admin, invoice=draft)
    with pytest.raises(Conflict, match="INV-000001"):
        session_log(actor=moderator, session=session, outcome="completed", force=True)
    assert InvoiceLine.objects.filter(charge__session=session).exists()


@pytest.mark.parametrize(
    ("rate", "minutes", "share", "expected"),
    [
        ("300.00", 60, 100, "300.00"),
        ("350.00", 45, 100, "262.50"),
        ("100.00", 20, 100, "33.33"),
        ("100.00", 40, 100, "66.67"),
        ("0.03", 30, 100, "0.02"),  # 0.015 rounds half up
        ("250.00", 60, 33, "82.50"),
    ],
)
def test_price_rounds_half_up_to_the_cent(rate, minutes, share, expected):
    assert price(Decimal(rate), minutes, Decimal(share)) == Decimal(expected)


@pytest.mark.parametrize("bad", ["-1", "abc", "1.005", "NaN", "1e20"])
def test_a_bad_rate_is_refused_with_a_field_error(admin, pupil, bad):
    with pytest.raises(ValidationError) as caught:
        services.rate_set(actor=admin, student=pupil, hourly_rate=bad, effective_from=DAY)
    assert "hourly_rate" in caught.value.message_dict


def test_pay_rates_are_for_tutors_only(admin, moderator):
    with pytest.raises(ValidationError) as caught:
        services.pay_rate_set(actor=admin, tutor=moderator, basis="hour", amount="1",
                              effective_from=DAY)  # fmt: skip
    assert "tutor" in caught.value.message_dict


def test_a_billable_cancellation_from_the_calendar_is_verified_then_billed(book, moderator, priced):
    from tracker.scheduling.services import session_cancel

    session = book(past(DAY))
    session_cancel(actor=moderator, session=session, reason="No-show, called late",
                   billable=True)  # fmt: skip
    assert session.log.review == "pending"
    logs_verify(actor=moderator, session_ids=[session.pk])
    charge = Charge.objects.get(session=session)
    assert (charge.kind, charge.amount) == (ChargeKind.LATE_CANCELLATION, Decimal("300.00"))
    with pytest.raises(Conflict):
        session_cancel(actor=moderator, session=session, reason="again", billable=False)
