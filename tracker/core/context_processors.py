from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "site_name": "Students Tracker",
        "currency": settings.CURRENCY,
        "business_time_zone": settings.TIME_ZONE,
    }
