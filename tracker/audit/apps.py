from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tracker.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Django's own sign-in events arrive as signals; receivers only forward to record().
        from tracker.audit import receivers  # noqa: F401
