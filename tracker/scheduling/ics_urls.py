from __future__ import annotations

from django.urls import path

from tracker.scheduling import ics_views as views

app_name = "ics"

urlpatterns = [
    # Secrets are URL-safe base64, which is exactly what a slug allows.
    path("ics/<slug:secret>.ics", views.feed, name="feed"),
    path("subscribe/", views.manage, name="manage"),
    path("subscribe/create/", views.create, name="create"),
    path("subscribe/renew/", views.renew, name="renew"),
    path("subscribe/revoke/", views.revoke, name="revoke"),
]
