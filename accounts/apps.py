from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Authorities and people"

    def ready(self) -> None:
        # Registers the permission predicates with `rules`.
        from django.contrib.auth.signals import user_logged_in

        from accounts import access  # noqa: F401
        from accounts.middleware import session_started

        user_logged_in.connect(session_started, dispatch_uid="accounts.session_started")
