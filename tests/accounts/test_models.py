from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import UserFactory
from tracker.accounts.models import Role


@pytest.mark.django_db
def test_a_user_time_zone_must_be_a_real_zone():
    user = UserFactory.build(username="zoned", time_zone="Mars/Olympus_Mons", branch=None)
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert "time_zone" in excinfo.value.message_dict


@pytest.mark.django_db
def test_a_known_time_zone_is_accepted():
    user = UserFactory(username="zoned", time_zone="Europe/London", role=Role.TUTOR)
    user.full_clean()
    assert user.time_zone == "Europe/London"
