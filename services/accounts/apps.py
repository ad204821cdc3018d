from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "services.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from notifications import audience

        from . import (
            checks,  # noqa: F401  (registers the system checks)
            employers,  # noqa: F401  (registers the invitation e-mails)
            password_reset,  # noqa: F401  (registers its e-mail kind)
        )
        from .audience import TenantAudience

        audience.register(TenantAudience())  # whom an announcement reaches
