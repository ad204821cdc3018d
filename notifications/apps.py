from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            kinds,  # noqa: F401  (registers the account and announcement kinds)
            sync,
        )

        sync.register()  # deletions leave sync tombstones
