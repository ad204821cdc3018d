"""The test suite: SQLite in memory unless DATABASE_URL says otherwise."""

import os

os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnop"
JWT_SIGNING_KEY = "test-jwt-signing-key-distinct-from-secret-0123456789"
SIMPLE_JWT["SIGNING_KEY"] = JWT_SIGNING_KEY  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default="/tmp/voisinage-test-media")  # noqa: S108
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
TASKS_IN_PROCESS = False  # eager, or a real broker in the worker tests
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
FIREBASE_CREDENTIALS = ""
LANGUAGE_CODE = "fr"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
