from __future__ import annotations

from django.urls import path

from tracker.students import availability_views as views

app_name = "availability"

urlpatterns = [
    path("me/", views.my_page, name="mine"),
    path("student/<int:student_id>/", views.student_page, name="student"),
    path("tutor/<int:user_id>/", views.tutor_page, name="tutor"),
    # kind is "student" or "tutor": the owner of the new window or time off.
    path("<slug:kind>/<int:owner_id>/windows/", views.window_add, name="window-add"),
    path("<slug:kind>/<int:owner_id>/time-off/", views.time_off_add, name="time-off-add"),
    path("windows/<int:window_id>/remove/", views.window_remove, name="window-remove"),
    path("time-off/<int:time_off_id>/remove/", views.time_off_remove, name="time-off-remove"),
]
