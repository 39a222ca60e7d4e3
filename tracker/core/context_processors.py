from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tracker.core import navigation
from tracker.messaging.selectors import unread_notifications


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    signed_in = user is not None and user.is_authenticated
    return {
        # Lazy: counted only when the page shows the bell.
        "unread_notifications": SimpleLazyObject(lambda: unread_notifications(user=user))
        if signed_in
        else 0,
        "product_name": "Students Tracker",
        "currency": settings.CURRENCY,
        "business_time_zone": settings.TIME_ZONE,
        "nav_items": navigation.items_for(user, match.view_name if match else None),
    }
