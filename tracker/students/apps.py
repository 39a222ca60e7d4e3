from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "tracker.students"
    label = "students"
    verbose_name = "Students"
