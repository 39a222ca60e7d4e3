from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tracker.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Sign-in receivers that record browser sessions (SignInSession) at every login().
        from tracker.accounts import security  # noqa: F401
