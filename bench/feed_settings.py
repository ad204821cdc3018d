"""Settings for bench/feed.py's gunicorn: the local settings from the environment, `DEBUG`
off, bench/feed_urls.py (the project plus the bare view) as the URL configuration, and, as in
production, the cache in Redis (shared by the workers) when bench/feed.py names one."""

import os

from backend.settings.local import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.feed_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
if os.environ.get("BENCH_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["BENCH_CACHE_URL"],
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
