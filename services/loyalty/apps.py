from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "services.loyalty"
    label = "loyalty"
    default_auto_field = "django.db.models.BigAutoField"
