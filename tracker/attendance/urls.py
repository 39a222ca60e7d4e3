from __future__ import annotations

from django.urls import path

from tracker.attendance import views

app_name = "attendance"

urlpatterns = [
    path("today/", views.today, name="today"),
    path("sessions/<int:session_id>/log/", views.log_session, name="log"),
    path("verify/", views.verify, name="verify"),
    path("verify/selected/", views.verify_selected, name="verify-selected"),
    path("sessions/<int:session_id>/send-back/", views.send_back, name="send-back"),
]
