from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.scheduling.conftest import book, maths, pupil  # noqa: F401 - shared fixtures


@pytest.fixture
def earlier_today():
    now = timezone.now().replace(second=0, microsecond=0)
    return lambda hours: now - timedelta(hours=hours)
