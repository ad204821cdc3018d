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
