from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "tracker.attendance"
    label = "attendance"
    verbose_name = "Attendance"
