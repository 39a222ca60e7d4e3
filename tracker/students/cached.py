"""The student list as a cached read (tracker/core/cached_reads.py).

Every change a list can show (a student's details, status, tutors or subjects, a school's,
branch's, subject's or tutor's name) renews the shared scope (`versions.bump_all`), and
the answer is kept per person for a tutor (their own students) and per role for those who
see every student (what they see depends only on the role).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import QueryDict

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, can
from tracker.core import cache as versions
from tracker.core.cached_reads import PAGES, CachedRead
from tracker.students.api import StudentFilters


def _scopes(user: User, query: QueryDict) -> tuple[str, ...]:
    if not (can(user, Cap.STUDENT_VIEW_ALL) or can(user, Cap.STUDENT_VIEW_ASSIGNED)):
        raise PermissionDenied
    return (versions.SHARED,)


def _who(user: User) -> str:
    return user.role if can(user, Cap.STUDENT_VIEW_ALL) else f"u{user.pk}:{user.role}"


LIST = CachedRead(
    route="api:students_list", scopes=_scopes, who=_who,
    params=frozenset(StudentFilters.model_fields) | PAGES,
)  # fmt: skip
