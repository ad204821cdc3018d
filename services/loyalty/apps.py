from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "services.loyalty"
    label = "loyalty"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from services.core.extensions import register_tenant_activated_receiver

        from . import notifications  # noqa: F401  (registers the notification kinds)
        from .actions import welcome_bonus_award

        # Accounts never imports loyalty: it announces the activation through core.
        register_tenant_activated_receiver(welcome_bonus_award)

        from . import sync

        sync.register()  # deletions leave sync tombstones
