from __future__ import annotations

from django.urls import path

from tracker.scheduling import calendar_views

app_name = "calendar"

urlpatterns = [
    path("", calendar_views.index, name="index"),
]
