from __future__ import annotations

from django.urls import path

from tracker.students import import_views

urlpatterns = [
    path("", import_views.upload, name="upload"),
    path("import/", import_views.commit, name="commit"),
    path("template.<str:fmt>", import_views.template, name="template"),
]
