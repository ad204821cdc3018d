"""The test suite: SQLite in memory unless DATABASE_URL says otherwise."""

import os

os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

SECRET_KEY = "test-secret-key"
JWT_SIGNING_KEY = "test-jwt-signing-key-distinct-from-secret"
SIMPLE_JWT["SIGNING_KEY"] = JWT_SIGNING_KEY  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default="/tmp/voisinage-test-media")  # noqa: S108
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
FIREBASE_CREDENTIALS = ""
LANGUAGE_CODE = "fr"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
