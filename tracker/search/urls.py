from __future__ import annotations

from django.urls import path

from tracker.search import views

app_name = "search"

urlpatterns = [
    path("", views.index, name="index"),
    path("suggest/", views.suggest, name="suggest"),
]
