from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "tracker.messaging"
    label = "messaging"
    verbose_name = "Messaging"
