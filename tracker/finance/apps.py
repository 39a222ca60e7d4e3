from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "tracker.finance"
    label = "finance"
    verbose_name = "Finance"
