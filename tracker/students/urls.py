from __future__ import annotations

from django.urls import path

from tracker.students import views

app_name = "students"

urlpatterns = [
    path("", views.student_list, name="list"),
    path("new/", views.student_create, name="create"),
    path("<int:student_id>/", views.student_detail, name="detail"),
    path("<int:student_id>/edit/", views.student_edit, name="edit"),
    path("<int:student_id>/pause/", views.student_pause, name="pause"),
    path("<int:student_id>/archive/", views.student_archive, name="archive"),
    path("<int:student_id>/restore/", views.student_restore, name="restore"),
    path("<int:student_id>/export/", views.student_export, name="export"),
    path("<int:student_id>/erase/", views.student_erase, name="erase"),
]
