from __future__ import annotations

from django.urls import path

from tracker.scheduling import closures_views

urlpatterns = [
    path("", closures_views.closure_index, name="index"),
    path("<int:closure_id>/remove/", closures_views.closure_remove, name="remove"),
]
