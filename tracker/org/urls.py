from __future__ import annotations

from django.urls import path

from tracker.org import views

app_name = "org"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:kind>/add/", views.create, name="create"),
    path("<slug:kind>/<int:pk>/edit/", views.edit, name="edit"),
    path(
        "<slug:kind>/<int:pk>/deactivate/",
        views.set_active,
        {"active": False},
        name="deactivate",
    ),
    path(
        "<slug:kind>/<int:pk>/reactivate/",
        views.set_active,
        {"active": True},
        name="reactivate",
    ),
]
