from __future__ import annotations

import pytest

from tests.factories import BranchFactory, UserFactory
from tests.finance.conftest import priced, verified  # noqa: F401 - shared fixtures
from tests.scheduling.conftest import book, maths, pupil  # noqa: F401 - shared fixtures
from tracker.accounts.models import Role


@pytest.fixture
def branch(db):
    return BranchFactory(name="Rosebank")


@pytest.fixture
def branch_tutors(branch, tutor):
    tutor.branch = branch
    tutor.save()
    return [tutor, UserFactory(username="tutor2", role=Role.TUTOR, branch=branch)]
