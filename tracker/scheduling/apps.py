from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "tracker.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
