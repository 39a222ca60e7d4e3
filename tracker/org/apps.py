from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "tracker.org"
    label = "org"
    verbose_name = "Organisation"
