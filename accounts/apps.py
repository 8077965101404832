from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Authorities and people"

    def ready(self) -> None:
        # Registers the permission predicates with `rules`.
        from accounts import access  # noqa: F401
