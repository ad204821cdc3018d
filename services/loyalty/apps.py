from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "services.loyalty"
    label = "loyalty"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import notifications  # noqa: F401  (registers the notification kinds)
