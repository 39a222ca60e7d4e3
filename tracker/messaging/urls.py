from __future__ import annotations

from django.urls import path

from tracker.messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.compose, name="compose"),
    path("announce/", views.broadcast, name="broadcast"),
    path("<int:thread_id>/", views.thread, name="thread"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
]
