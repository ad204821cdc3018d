from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "services.privacy"
    label = "privacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import notifications  # noqa: F401  (registers the notification kinds)
