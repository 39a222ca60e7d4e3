from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from tracker.core import navigation


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    return {
        "product_name": "Students Tracker",
        "currency": settings.CURRENCY,
        "business_time_zone": settings.TIME_ZONE,
        "nav_items": navigation.items_for(user, match.view_name if match else None),
    }
