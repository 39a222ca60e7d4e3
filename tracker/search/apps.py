from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "tracker.search"
    label = "search"
    verbose_name = "Search"
