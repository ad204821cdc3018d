"""The Celery app; tasks live in each area's tasks.py and are found by autodiscovery."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.local")

app = Celery("voisinage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    [
        "notifications",
        "services.jobs",
        "services.volunteering",
        "services.loyalty",
        "services.accounts",
        "services.core",
    ]
)


def periodic_tasks(setup):
    """Decorator for an area's `setup(sender)` that adds its periodic tasks: it runs once the
    app is configured, or at once when the tasks module is imported after that (autodiscovery
    imports it late, when `on_after_configure` has already fired)."""
    if app.configured:
        setup(app)
    else:
        app.on_after_configure.connect(setup, weak=False)
    return setup
