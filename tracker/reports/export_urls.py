from __future__ import annotations

from django.urls import path

from tracker.reports import export_views

app_name = "exports"

urlpatterns = [
    path("", export_views.index, name="index"),
    path("data.zip", export_views.download, name="download"),
]
