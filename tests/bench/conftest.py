from __future__ import annotations

from tests.scheduling.conftest import book, maths, pupil  # noqa: F401 - shared fixtures
