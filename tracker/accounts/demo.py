"""Demo accounts: one of each role, plus more tutors across both branches."""

from __future__ import annotations

from tracker.accounts.models import Role, User
from tracker.org.models import Branch, School

# (username, role, first, last, class taught, branch index, school index)
ACCOUNTS = [
    ("admin", Role.ADMIN, "Ayesha", "Naidoo", "", 0, None),
    ("moderator", Role.MODERATOR, "Musa", "Dlamini", "", 0, None),
    ("tutor", Role.TUTOR, "Thandi", "Mokoena", "Grade 10-12 Mathematics", 0, 0),
    ("tutor2", Role.TUTOR, "Pieter", "van der Merwe", "Physical Sciences", 0, 1),
    ("tutor3", Role.TUTOR, "Lerato", "Khumalo", "English Home Language", 1, 2),
    ("tutor4", Role.TUTOR, "Sipho", "Zulu", "Accounting", 1, 3),
    ("tutor5", Role.TUTOR, "Emma", "Botha", "Piano, all grades", 1, None),
]


def seed(*, password: str, branches: list[Branch], schools: list[School]) -> list[User]:
    users = []
    for username, role, first, last, teaches, branch, school in ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "teaching_class": teaches,
                "branch": branches[branch],
                "school": schools[school] if school is not None else None,
            },
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        users.append(user)
    return users
